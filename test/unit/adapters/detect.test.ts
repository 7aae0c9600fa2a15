import { describe, expect, it } from 'vitest';
import { detectFormat } from '../../../processors/adapters/detect.js';
import * as fixtures from './fixtures.js';
import { rejection } from './helpers.js';

describe('format detection (auto)', () => {
  it.each([
    ['segment', fixtures.segmentTrack],
    ['segment', fixtures.segmentIdentify],
    ['segment', fixtures.segmentAnonymousPage],
    ['segment', { batch: [fixtures.segmentTrack] }],
    ['mixpanel', fixtures.mixpanelTrack],
    ['mixpanel', [fixtures.mixpanelTrack]],
    ['amplitude', fixtures.amplitudeEvent],
    ['amplitude', { api_key: 'k', events: [fixtures.amplitudeEvent] }],
    ['cloudtrail', fixtures.cloudTrailIamUser],
    ['cloudtrail', fixtures.cloudTrailAwsService],
    ['cloudtrail', { Records: [fixtures.cloudTrailIamUser] }],
    ['auth0', fixtures.auth0Success],
    ['auth0', fixtures.auth0UnknownUserStream],
    ['github', fixtures.githubRepoDestroy],
    ['github', fixtures.githubTeamAddMember],
    ['otel', fixtures.otelLogs],
    ['cloudevents', fixtures.cloudEventStructured],
    ['canonical', fixtures.canonicalEvent],
  ])('recognizes %s', (format, payload) => {
    expect(detectFormat(payload, {})).toBe(format);
  });

  it('recognizes CloudEvents binary mode by its ce_specversion header, whatever the payload', () => {
    expect(detectFormat(fixtures.mixpanelTrack, { ce_specversion: '1.0' })).toBe('cloudevents');
  });

  it.each([[{ hello: 'world' }], [[]], [42], [JSON.stringify('text')], [null], [{ type: 'track' }], [{ event: 'x' }]])('rejects %j with FORMAT_UNKNOWN', (payload) => {
    expect(detectFormat(payload, {})).toBeUndefined();
    expect(rejection(payload)).toMatchObject({ code: 'FORMAT_UNKNOWN', stage: 'detect' });
  });

  it('a forced format that does not fit is FORMAT_UNKNOWN at the adapt stage', () => {
    expect(rejection(fixtures.segmentTrack, 'cloudtrail')).toMatchObject({ code: 'FORMAT_UNKNOWN', stage: 'adapt' });
    expect(rejection(fixtures.cloudTrailIamUser, 'otel')).toMatchObject({ code: 'FORMAT_UNKNOWN', stage: 'adapt' });
  });
});
