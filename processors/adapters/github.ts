/**
 * GitHub audit log entry → canonical (REST `GET /orgs/{org}/audit-log` and audit-log streaming), one
 * entry or an array. Mapping table: docs/adapters.md#github.
 *
 * Name: `github.` + the action with its dots (`repo.create` → `github.repo.create`); an action with
 * more than two parts keeps its first part as the entity and joins the rest into the action
 * (`a.b.c` → `github.a.b_c`).
 */
import { ok, type StepResult } from '../../core/result.js';
import type { ActionType, CanonicalEvent } from '../../schemas/canonical-event.js';
import { isValidEventName, toSnakeSegment } from '../../schemas/taxonomy.js';
import { TranslationReason } from '../validation/reasons.js';
import {
  actionTypeFromVerb,
  adaptFailure,
  type AdapterContext,
  eventId,
  finishEvent,
  formatMismatch,
  ipOrUndefined,
  isObject,
  normalizeTimestamp,
  type Obj,
  scalarAttributes,
  text,
  adaptOneOrBatch,
} from './common.js';

const OPERATION_TYPES: Readonly<Record<string, ActionType>> = { create: 'create', access: 'access', modify: 'update', remove: 'delete', transfer: 'update' };

export function adaptGitHub(payload: unknown, context: AdapterContext): StepResult<CanonicalEvent[]> {
  return adaptOneOrBatch(payload, undefined, 'github audit log array is empty', (item, at) => adaptEntry(item, context, at));
}

export function githubEventName(action: string): string | undefined {
  const parts = action.split('.').map(toSnakeSegment).filter((p) => p !== '');
  if (parts.length < 2) return undefined;
  const name = `github.${parts[0]}.${parts.slice(1).join('_')}`;
  return isValidEventName(name) ? name : undefined;
}

function adaptEntry(entry: unknown, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  if (!isObject(entry) || typeof entry.action !== 'string') return formatMismatch('github', 'expected an audit log entry with action');
  const name = githubEventName(entry.action);
  if (name === undefined) return adaptFailure(TranslationReason.EVENT_NAME_INVALID, 'github action is not <category>.<operation>', `${at}action`);
  // @timestamp and created_at are epoch milliseconds in the REST API (ISO text in some exports).
  const rawTime = entry['@timestamp'] ?? entry.created_at;
  const timestamp = normalizeTimestamp(rawTime, 'ms');
  if (timestamp === undefined) return adaptFailure(TranslationReason.TIMESTAMP_INVALID, 'github @timestamp is missing or not a date', `${at}@timestamp`);

  const actorId = text(entry.actor_id) ?? text(entry.actor);
  const actorLogin = text(entry.actor);
  const isBot = entry.actor_is_bot === true || (actorLogin?.endsWith('[bot]') ?? false);
  const actor: CanonicalEvent['actor'] =
    actorId === undefined
      ? { type: 'anonymous' }
      : {
          id: actorId,
          type: isBot || text(entry.programmatic_access_type) === 'GitHub App server-to-server token' ? 'service' : 'user',
          details: actorLogin !== undefined && actorLogin !== actorId ? { login: actorLogin } : undefined,
        };

  const operation = text(entry.operation_type);
  const verb = name.slice(name.lastIndexOf('.') + 1);
  const org = text(entry.org);

  return ok(
    finishEvent({
      id: eventId('github', entry._document_id),
      event_timestamp: timestamp,
      observed_timestamp: context.observed,
      source: org !== undefined && /^[A-Za-z0-9-]+$/.test(org) ? `https://github.com/${org}` : 'github',
      action: { name, type: (operation !== undefined ? OPERATION_TYPES[operation] : undefined) ?? actionTypeFromVerb(verb, 'other') },
      actor,
      entity: entityOf(entry),
      context: {
        client: { ip_address: ipOrUndefined(entry.actor_ip), user_agent: text(entry.user_agent) },
        attributes: scalarAttributes(
          'github.action', entry.action,
          'github.org', org,
          'github.org_id', entry.org_id,
          'github.business', entry.business,
          'github.repo', entry.repo,
          'github.operation_type', operation,
          'github.request_id', entry.request_id,
          'github.transport_protocol', entry.transport_protocol_name,
          'github.programmatic_access_type', entry.programmatic_access_type,
          'github.token_id', entry.token_id,
          'github.hashed_token', entry.hashed_token,
          'github.visibility', entry.visibility,
          'geo.country_code', isObject(entry.actor_location) ? entry.actor_location.country_code : undefined,
        ),
        status: 'SUCCESS',
      },
    }),
  );
}

/** The most specific target named in the entry: repository, then user, team, organization, business. */
function entityOf(entry: Obj): CanonicalEvent['entity'] {
  const repo = text(entry.repo_id) ?? text(entry.repository_id);
  if (repo !== undefined || text(entry.repo) !== undefined) return { id: repo ?? text(entry.repo), type: 'repository', details: scalarAttributes('name', entry.repo) };
  if (text(entry.user_id) !== undefined || text(entry.user) !== undefined) return { id: text(entry.user_id) ?? text(entry.user), type: 'user' };
  if (text(entry.team) !== undefined) return { id: text(entry.team), type: 'team' };
  if (text(entry.org_id) !== undefined || text(entry.org) !== undefined) return { id: text(entry.org_id) ?? text(entry.org), type: 'organization' };
  if (text(entry.business) !== undefined) return { id: text(entry.business), type: 'business' };
  return undefined;
}
