import { describe, expect, it } from 'vitest';
import { AUTH0_CODES, auth0Code } from '../../../processors/adapters/auth0.js';
import { deterministicUuid } from '../../../processors/adapters/common.js';
import { isValidEventName } from '../../../schemas/taxonomy.js';
import { auth0ClientCredentials, auth0Success, auth0UnknownUserStream, auth0WrongPassword } from './fixtures.js';
import { events, one, rejection } from './helpers.js';

describe('Auth0 adapter', () => {
  it('maps a successful login (s)', () => {
    const event = one(auth0Success, 'auth0');
    expect(event).toMatchObject({
      id: deterministicUuid(`auth0:${auth0Success.log_id}`),
      event_timestamp: '2016-02-23T19:57:29.532Z',
      source: 'auth0://mytenant.auth0.com',
      action: { name: 'auth.user.login_succeeded', type: 'access' },
      actor: { id: 'auth0|56c75c4e42b6359e98374bc2', type: 'user', details: { user_name: 'user@example.com' } },
      entity: {
        id: 'AaiyAPdpYdesoKnqjj8HJqRn4T5titww',
        type: 'application',
        details: { client_name: 'My application Name', connection: 'Username-Password-Authentication', strategy: 'auth0', scope: 'openid profile' },
      },
      context: {
        client: { ip_address: '190.154.209.19', user_agent: 'Chrome 101.0.0 / Mac OS X 10.15.7' },
        domain_specific: { audit: { request: auth0Success.details } },
        attributes: { 'auth0.type': 's', 'auth0.is_mobile': false },
        status: 'SUCCESS',
      },
    });
  });

  it('maps a wrong password (fp) to login_failed with the code as error; an invalid IP (257) is dropped', () => {
    const event = one(auth0WrongPassword);
    expect(event.action.name).toBe('auth.user.login_failed');
    expect(event.context?.status).toBe('FAILURE');
    expect(event.context?.error).toEqual({ code: 'fp', message: 'Wrong email or password.' });
    expect(event.context?.client?.ip_address).toBeUndefined();
  });

  it('maps a log-stream delivery for an unknown user (fu): the attempted name is the actor', () => {
    const event = one(auth0UnknownUserStream);
    expect(event.action.name).toBe('auth.user.login_failed');
    expect(event.actor).toEqual({ id: 'nobody@example.com', type: 'user' });
    expect(event.id).toBe(deterministicUuid(`auth0:${auth0UnknownUserStream.log_id}`));
  });

  it('a client-credentials exchange is made by a service', () => {
    const event = one(auth0ClientCredentials);
    expect(event.action).toEqual({ name: 'auth.token.client_credentials_exchanged', type: 'access' });
    expect(event.actor).toEqual({ id: 'm2mClientId123', type: 'service' });
  });

  it('a log with nobody to attribute it to is anonymous', () => {
    const event = one({ date: '2023-03-01T00:00:00Z', type: 'limit_wc', ip: '203.0.113.1', log_id: 'x1' });
    expect(event.actor).toEqual({ type: 'anonymous' });
    expect(event.action.name).toBe('auth.ip.blocked');
  });

  it('every known code maps to a valid name; failures end in _failed or are FAILURE', () => {
    for (const [code, mapped] of AUTH0_CODES) {
      expect(isValidEventName(mapped.name), code).toBe(true);
      if (code.startsWith('f') && code !== 'fn') expect(mapped.status, code).toBe('FAILURE');
    }
    expect(AUTH0_CODES.get('f')?.name).toBe('auth.user.login_failed');
    expect(AUTH0_CODES.get('fsa')?.name).toBe('auth.user.silent_auth_failed');
    expect(AUTH0_CODES.get('seacft')?.name).toBe('auth.token.exchanged');
  });

  it('unknown codes fall back to auth.log.<code> with status from the s/f convention', () => {
    expect(auth0Code('fxyz')).toEqual({ name: 'auth.log.fxyz', type: 'other', status: 'FAILURE' });
    expect(auth0Code('sxyz')).toEqual({ name: 'auth.log.sxyz', type: 'other', status: 'SUCCESS' });
    expect(auth0Code('!!')).toBeUndefined();
  });

  it('an array of logs yields many', () => {
    expect(events([auth0Success, auth0WrongPassword], 'auth0')).toHaveLength(2);
  });

  it.each([
    [{ ...auth0Success, date: '23/02/2016' }, 'TIMESTAMP_INVALID'],
    [{ ...auth0Success, type: '!!' }, 'EVENT_NAME_INVALID'],
    [{ type: 's' }, 'FORMAT_UNKNOWN'],
  ])('rejects %#: %s', (payload, code) => {
    expect(rejection(payload, 'auth0', 'user@example.com').code).toBe(code);
  });
});
