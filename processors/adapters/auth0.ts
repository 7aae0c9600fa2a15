/**
 * Auth0 log event → canonical (https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes),
 * either a raw log (Management API /api/v2/logs) or a log-stream delivery `{"log_id": "...", "data": {...}}`,
 * or an array of either. Mapping table and the full code list: docs/adapters.md#auth0.
 */
import { ok, type StepResult } from '../../core/result.js';
import type { ActionType, CanonicalEvent, EventStatus, JsonObject } from '../../schemas/canonical-event.js';
import { isValidEventName, toSnakeSegment } from '../../schemas/taxonomy.js';
import { TranslationReason } from '../validation/reasons.js';
import {
  adaptFailure,
  type AdapterContext,
  eventId,
  finishEvent,
  formatMismatch,
  ipOrUndefined,
  isObject,
  jsonObject,
  normalizeTimestamp,
  type Obj,
  scalarAttributes,
  text,
  adaptOneOrBatch,
} from './common.js';

interface Auth0Code {
  readonly name: string;
  readonly type: ActionType;
  readonly status: EventStatus;
}
const code = (name: string, type: ActionType, status: EventStatus): Auth0Code => ({ name, type, status });

/** Auth0 log type codes → canonical. Failures all end in `_failed` so `*.login_failed`-style routes catch them. */
export const AUTH0_CODES: ReadonlyMap<string, Auth0Code> = new Map([
  ['s', code('auth.user.login_succeeded', 'access', 'SUCCESS')],
  ['f', code('auth.user.login_failed', 'access', 'FAILURE')],
  ['fp', code('auth.user.login_failed', 'access', 'FAILURE')],
  ['fu', code('auth.user.login_failed', 'access', 'FAILURE')],
  ['fc', code('auth.user.login_failed', 'access', 'FAILURE')],
  ['fco', code('auth.user.login_failed', 'access', 'FAILURE')],
  ['fsa', code('auth.user.silent_auth_failed', 'access', 'FAILURE')],
  ['ssa', code('auth.user.silent_auth_succeeded', 'access', 'SUCCESS')],
  ['slo', code('auth.user.logout_succeeded', 'access', 'SUCCESS')],
  ['flo', code('auth.user.logout_failed', 'access', 'FAILURE')],
  ['ss', code('auth.user.signup_succeeded', 'create', 'SUCCESS')],
  ['fs', code('auth.user.signup_failed', 'create', 'FAILURE')],
  ['scp', code('auth.user.password_changed', 'update', 'SUCCESS')],
  ['fcp', code('auth.user.password_change_failed', 'update', 'FAILURE')],
  ['scpr', code('auth.user.password_change_requested', 'update', 'SUCCESS')],
  ['fcpr', code('auth.user.password_change_request_failed', 'update', 'FAILURE')],
  ['pwd_leak', code('auth.user.breached_password_detected', 'access', 'FAILURE')],
  ['sv', code('auth.user.email_verified', 'update', 'SUCCESS')],
  ['fv', code('auth.user.email_verification_failed', 'update', 'FAILURE')],
  ['svr', code('auth.user.verification_email_requested', 'update', 'SUCCESS')],
  ['fvr', code('auth.user.verification_email_request_failed', 'update', 'FAILURE')],
  ['sce', code('auth.user.email_changed', 'update', 'SUCCESS')],
  ['fce', code('auth.user.email_change_failed', 'update', 'FAILURE')],
  ['sdu', code('auth.user.deleted', 'delete', 'SUCCESS')],
  ['fdu', code('auth.user.delete_failed', 'delete', 'FAILURE')],
  ['ublkdu', code('auth.user.unblocked', 'update', 'SUCCESS')],
  ['limit_wc', code('auth.ip.blocked', 'access', 'FAILURE')],
  ['limit_sul', code('auth.user.login_rate_limited', 'access', 'FAILURE')],
  ['limit_mu', code('auth.ip.blocked_multiple_users', 'access', 'FAILURE')],
  ['seacft', code('auth.token.exchanged', 'access', 'SUCCESS')],
  ['feacft', code('auth.token.exchange_failed', 'access', 'FAILURE')],
  ['seccft', code('auth.token.client_credentials_exchanged', 'access', 'SUCCESS')],
  ['feccft', code('auth.token.client_credentials_exchange_failed', 'access', 'FAILURE')],
  ['sepft', code('auth.token.password_exchanged', 'access', 'SUCCESS')],
  ['fepft', code('auth.token.password_exchange_failed', 'access', 'FAILURE')],
  ['sertft', code('auth.token.refresh_exchanged', 'access', 'SUCCESS')],
  ['fertft', code('auth.token.refresh_exchange_failed', 'access', 'FAILURE')],
  ['srrt', code('auth.token.refresh_revoked', 'delete', 'SUCCESS')],
  ['gd_auth_succeed', code('auth.mfa.succeeded', 'access', 'SUCCESS')],
  ['gd_auth_failed', code('auth.mfa.failed', 'access', 'FAILURE')],
  ['gd_auth_rejected', code('auth.mfa.rejected', 'access', 'FAILURE')],
  ['gd_enrollment_complete', code('auth.mfa.enrolled', 'create', 'SUCCESS')],
  ['gd_unenroll', code('auth.mfa.unenrolled', 'delete', 'SUCCESS')],
  ['gd_send_sms', code('auth.mfa.sms_sent', 'access', 'SUCCESS')],
  ['gd_send_sms_failure', code('auth.mfa.sms_send_failed', 'access', 'FAILURE')],
  ['sapi', code('auth.management_api.operation_succeeded', 'update', 'SUCCESS')],
  ['fapi', code('auth.management_api.operation_failed', 'update', 'FAILURE')],
  ['mgmt_api_read', code('auth.management_api.read', 'read', 'SUCCESS')],
  ['api_limit', code('auth.management_api.rate_limited', 'access', 'FAILURE')],
  ['scoa', code('auth.user.cross_origin_auth_succeeded', 'access', 'SUCCESS')],
  ['fcoa', code('auth.user.cross_origin_auth_failed', 'access', 'FAILURE')],
  ['sd', code('auth.device.authorized', 'access', 'SUCCESS')],
  ['fd', code('auth.device.authorization_failed', 'access', 'FAILURE')],
  ['fn', code('auth.notification.send_failed', 'system', 'FAILURE')],
  ['w', code('auth.system.warning', 'system', 'UNKNOWN')],
  ['depnote', code('auth.system.deprecation_notice', 'system', 'UNKNOWN')],
]);

export function adaptAuth0(payload: unknown, context: AdapterContext): StepResult<CanonicalEvent[]> {
  return adaptOneOrBatch(payload, undefined, 'auth0 log array is empty', (item, at) => adaptLog(item, context, at));
}

/** Unknown codes become `auth.log.<code>` with status from Auth0's convention: `s…` success, `f…` failure. */
export function auth0Code(type: string): Auth0Code | undefined {
  const known = AUTH0_CODES.get(type);
  if (known !== undefined) return known;
  const segment = toSnakeSegment(type);
  const name = `auth.log.${segment}`;
  if (!isValidEventName(name)) return undefined;
  const status: EventStatus = /^f[a-z]/.test(type) ? 'FAILURE' : /^s[a-z]/.test(type) ? 'SUCCESS' : 'UNKNOWN';
  return { name, type: 'other', status };
}

function adaptLog(entry: unknown, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  if (!isObject(entry)) return formatMismatch('auth0', 'log entry is not an object');
  // Log streams wrap the log: {"log_id": "...", "data": {...}}.
  const log: Obj = isObject(entry.data) && typeof entry.data.type === 'string' ? entry.data : entry;
  const logId = log.log_id ?? entry.log_id ?? log._id;
  if (typeof log.type !== 'string' || (log.date === undefined && logId === undefined)) return formatMismatch('auth0', 'expected a log with type and date');

  const mapped = auth0Code(log.type);
  if (mapped === undefined) return adaptFailure(TranslationReason.EVENT_NAME_INVALID, 'auth0 log type does not map to auth.log.<code>', `${at}type`);
  const timestamp = normalizeTimestamp(log.date);
  if (timestamp === undefined) return adaptFailure(TranslationReason.TIMESTAMP_INVALID, 'auth0 date is missing or not ISO-8601', `${at}date`);

  const userId = text(log.user_id);
  const userName = text(log.user_name);
  const clientId = text(log.client_id);
  let actor: CanonicalEvent['actor'];
  const actorDetails = userName !== undefined && userId !== undefined ? ({ user_name: userName } as JsonObject) : undefined;
  if (userId !== undefined) actor = { id: userId, type: 'user', details: actorDetails };
  // A failed login for an unknown user has only the attempted name (usually an e-mail): still the actor, still PII.
  else if (userName !== undefined) actor = { id: userName, type: 'user' };
  // Client-credentials exchanges and Management API calls are made by an application, not a person.
  else if (clientId !== undefined && /^(seccft|feccft|sapi|fapi|mgmt_api_read|api_limit)$/.test(log.type)) actor = { id: clientId, type: 'service' };
  else actor = { type: 'anonymous' };

  const details = jsonObject(log.details);
  const request = details !== undefined && isObject(details.request) ? (details.request as JsonObject) : details;
  const response = details !== undefined && isObject(details.response) ? (details.response as JsonObject) : undefined;
  const hostname = text(log.hostname);
  const isFailure = mapped.status === 'FAILURE';

  return ok(
    finishEvent({
      id: eventId('auth0', logId),
      event_timestamp: timestamp,
      observed_timestamp: context.observed,
      source: hostname !== undefined && /^[A-Za-z0-9.-]+$/.test(hostname) ? `auth0://${hostname}` : 'auth0',
      action: { name: mapped.name, type: mapped.type },
      actor,
      entity: {
        id: clientId,
        type: clientId === undefined ? undefined : 'application',
        details: scalarAttributes(
          'client_name', log.client_name,
          'connection', log.connection,
          'connection_id', log.connection_id,
          'strategy', log.strategy,
          'strategy_type', log.strategy_type,
          'audience', log.audience,
          'scope', typeof log.scope === 'string' ? log.scope : Array.isArray(log.scope) ? log.scope.join(' ') : undefined,
        ),
      },
      context: {
        client: { ip_address: ipOrUndefined(log.ip), user_agent: text(log.user_agent) },
        domain_specific: { audit: { request, response } },
        attributes: scalarAttributes(
          'auth0.type', log.type,
          'auth0.description', log.description,
          'auth0.hostname', hostname,
          'auth0.is_mobile', log.isMobile,
          'auth0.tenant_name', log.tenant_name,
          'geo.country_code', isObject(log.location_info) ? log.location_info.country_code : undefined,
        ),
        status: mapped.status,
        error: isFailure ? { code: log.type, message: text(log.description) } : undefined,
      },
    }),
  );
}
