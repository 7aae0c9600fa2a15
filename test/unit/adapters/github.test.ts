import { describe, expect, it } from 'vitest';
import { deterministicUuid } from '../../../processors/adapters/common.js';
import { githubEventName } from '../../../processors/adapters/github.js';
import { githubRepoDestroy, githubTeamAddMember } from './fixtures.js';
import { events, one, rejection } from './helpers.js';

describe('GitHub audit log adapter', () => {
  it('maps repo.destroy', () => {
    const event = one(githubRepoDestroy, 'github');
    expect(event).toMatchObject({
      id: deterministicUuid('github:LwW2vpJZCDS-WUmo9Z-ifw'),
      event_timestamp: '2020-11-18T17:05:48.837Z',
      source: 'https://github.com/mona-org',
      action: { name: 'github.repo.destroy', type: 'delete' },
      actor: { id: '1234567', type: 'user', details: { login: 'monalisa' } },
      entity: { id: '55555', type: 'repository', details: { name: 'mona-org/mona-test-repo' } },
      context: {
        client: { user_agent: 'Mozilla/5.0 (X11; Linux x86_64)' },
        attributes: { 'github.action': 'repo.destroy', 'github.org': 'mona-org', 'github.operation_type': 'remove', 'github.visibility': 'private', 'geo.country_code': 'US' },
        status: 'SUCCESS',
      },
    });
  });

  it('maps team.add_member without actor_id (REST docs example): the login is the actor id, the user the entity', () => {
    const event = one(githubTeamAddMember);
    expect(event.action).toEqual({ name: 'github.team.add_member', type: 'create' });
    expect(event.actor).toEqual({ id: 'octocat', type: 'user' });
    expect(event.entity).toEqual({ id: 'monalisa', type: 'user' });
  });

  it('bots are services; ISO created_at works too', () => {
    const event = one({ action: 'workflows.completed_workflow_run', actor: 'dependabot[bot]', created_at: '2024-01-02T03:04:05.678Z', _document_id: 'd1', org: 'o' });
    expect(event.actor.type).toBe('service');
    expect(event.event_timestamp).toBe('2024-01-02T03:04:05.678Z');
  });

  it('folds deeper actions into three segments', () => {
    expect(githubEventName('repo.create')).toBe('github.repo.create');
    expect(githubEventName('org.update_actions_secret')).toBe('github.org.update_actions_secret');
    expect(githubEventName('a.b.c')).toBe('github.a.b_c');
    expect(githubEventName('create')).toBeUndefined();
  });

  it('an array yields many', () => {
    expect(events([githubRepoDestroy, githubTeamAddMember], 'github')).toHaveLength(2);
  });

  it.each([
    [{ ...githubRepoDestroy, action: 'destroy' }, 'EVENT_NAME_INVALID'],
    [{ ...githubRepoDestroy, '@timestamp': 'x', created_at: undefined }, 'TIMESTAMP_INVALID'],
    [{ actor: 'x' }, 'FORMAT_UNKNOWN'],
  ])('rejects %#: %s', (payload, code) => {
    expect(rejection(payload, 'github').code).toBe(code);
  });
});
