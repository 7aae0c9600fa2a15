/**
 * AWS CloudTrail record → canonical (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-record-contents.html),
 * one record or a log file `{"Records": [...]}` (many events). Mapping table: docs/adapters.md#cloudtrail.
 *
 * Name: `aws.<service>.<snake_case(eventName)>` where service is eventSource without `.amazonaws.com`
 * (`s3.amazonaws.com` + `PutObject` → `aws.s3.put_object`).
 */
import { ok, type StepResult } from '../../core/result.js';
import type { ActionType, ActorType, CanonicalEvent, EventStatus, JsonObject } from '../../schemas/canonical-event.js';
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

export function adaptCloudTrail(payload: unknown, context: AdapterContext): StepResult<CanonicalEvent[]> {
  return adaptOneOrBatch(payload, 'Records', 'CloudTrail file has no Records', (item, at) => adaptRecord(item, context, at));
}

/** Verb prefixes of AWS API names → action type (readOnly, when present, decides first). */
const VERBS: ReadonlyArray<[RegExp, ActionType]> = [
  [/^(ConsoleLogin|AssumeRole|GetSessionToken|GetFederationToken|SwitchRole|CheckMfa|ExitRole|RenewRole|Authenticate|GetSigninToken|Federate|CredentialVerification|CredentialChallenge|UserAuthentication)/, 'access'],
  [/^(Get|List|Describe|Head|Lookup|Search|Scan|Query|Select|BatchGet|Download|Poll|Receive|Filter|Test|Validate|Check|Estimate|Preview|Decrypt|Verify)/, 'read'],
  [/^(Create|Run|Add|Attach|Register|Allocate|Import|Copy|Upload|Generate|Issue|Launch|Request|Associate|Encrypt|Sign|Send|Publish|Invoke|Start|Initiate|Subscribe)/, 'create'],
  [/^(Delete|Remove|Terminate|Detach|Deregister|Revoke|Release|Disassociate|Unsubscribe|Purge|Cancel|Abort|Disable|Stop|Reject|Deactivate)/, 'delete'],
  [/^(Update|Modify|Put|Set|Enable|Change|Reset|Tag|Untag|Replace|Restore|Reboot|Apply|Rotate|Activate|Accept|Complete|Confirm|Edit|Rename|Reorder|Schedule|Merge|Move|Override)/, 'update'],
];

export function cloudTrailActionType(eventName: string, readOnly: unknown): ActionType {
  for (const [pattern, type] of VERBS) if (pattern.test(eventName)) {
    if (type === 'access') return type;
    if (readOnly === true && type !== 'read') return 'read';
    return type;
  }
  return readOnly === true ? 'read' : 'other';
}

/** Service segment of the name: `s3.amazonaws.com` → `s3`, `execute-api.amazonaws.com` → `execute_api`. */
export function cloudTrailService(eventSource: string): string {
  return toSnakeSegment(eventSource.replace(/\.amazonaws\.com(\.cn)?$/, '').replace(/\.aws\.internal$/, ''));
}

function adaptRecord(record: unknown, context: AdapterContext, at: string): StepResult<CanonicalEvent> {
  if (!isObject(record) || typeof record.eventSource !== 'string' || typeof record.eventName !== 'string') {
    return formatMismatch('cloudtrail', 'expected a record with eventSource and eventName');
  }
  // eventSource is a service endpoint host name (`s3.amazonaws.com`); it is also the canonical source.
  if (!/^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(record.eventSource)) return adaptFailure(TranslationReason.FIELD_INVALID, 'eventSource is not a host name', `${at}eventSource`);
  const service = cloudTrailService(record.eventSource);
  const action = toSnakeSegment(record.eventName);
  const name = `aws.${service}.${action}`;
  if (!isValidEventName(name)) return adaptFailure(TranslationReason.EVENT_NAME_INVALID, 'eventSource/eventName do not map to aws.<service>.<action>', `${at}eventName`);

  const timestamp = normalizeTimestamp(record.eventTime);
  if (timestamp === undefined) return adaptFailure(TranslationReason.TIMESTAMP_INVALID, 'eventTime is missing or not ISO-8601', `${at}eventTime`);

  const identity = isObject(record.userIdentity) ? record.userIdentity : {};
  const actor = actorOf(identity, record);
  const { status, error } = outcomeOf(record);
  const resources = Array.isArray(record.resources) ? record.resources.filter(isObject) : [];
  const firstResource = resources[0];
  const sourceIp = text(record.sourceIPAddress);
  const ip = ipOrUndefined(sourceIp);

  const attributes = scalarAttributes(
    'aws.region', record.awsRegion,
    'aws.account_id', record.recipientAccountId,
    'aws.event_type', record.eventType,
    'aws.event_category', record.eventCategory,
    'aws.event_version', record.eventVersion,
    'aws.api_version', record.apiVersion,
    'aws.request_id', record.requestID,
    'aws.read_only', record.readOnly,
    'aws.management_event', record.managementEvent,
    'aws.shared_event_id', record.sharedEventID,
    'aws.vpc_endpoint_id', record.vpcEndpointId,
    // sourceIPAddress can be a service name ("AWS Internal", "s3.amazonaws.com") instead of an address.
    'aws.source', ip === undefined ? sourceIp : undefined,
    'tls.version', isObject(record.tlsDetails) ? record.tlsDetails.tlsVersion : undefined,
  );
  const additional = jsonObject(record.additionalEventData);
  if (additional !== undefined) attributes['aws.additional_event_data'] = JSON.stringify(additional);

  return ok(
    finishEvent({
      id: eventId('cloudtrail', record.eventID),
      event_timestamp: timestamp,
      observed_timestamp: context.observed,
      source: record.eventSource,
      action: { name, type: cloudTrailActionType(record.eventName, record.readOnly) },
      actor,
      entity: {
        id: text(firstResource?.ARN) ?? text(record.recipientAccountId),
        type: text(firstResource?.type) ?? service,
        details: resources.length > 0 ? ({ resources } as unknown as JsonObject) : undefined,
      },
      context: {
        client: { ip_address: ip, user_agent: text(record.userAgent) },
        domain_specific: { audit: { request: jsonObject(record.requestParameters), response: jsonObject(record.responseElements) } },
        attributes,
        status,
        error,
      },
    }),
  );
}

/**
 * userIdentity → actor. The whole userIdentity object goes to actor.details (the PII policy decides
 * what of it is pseudonymized). Ids by type:
 * IAMUser/Root/AssumedRole/FederatedUser/SAMLUser/WebIdentityUser/IdentityCenterUser/Unknown → principalId (user);
 * AWSAccount → principalId or accountId (service); AWSService → invokedBy (service).
 */
function actorOf(identity: Obj, record: Obj): CanonicalEvent['actor'] {
  const type = text(identity.type);
  const details = jsonObject(identity);
  if (type === 'AWSService') {
    return { id: text(identity.invokedBy) ?? text(record.eventSource), type: 'service', details };
  }
  const id = text(identity.principalId) ?? text(identity.userName) ?? text(identity.arn) ?? text(identity.accountId);
  let actorType: ActorType = type === 'AWSAccount' ? 'service' : 'user';
  if (id === undefined) {
    // e.g. a failed ConsoleLogin for a user name that does not exist: nobody to attribute it to.
    return { type: 'anonymous', details };
  }
  if (type === 'AssumedRole' && text(identity.invokedBy) !== undefined) actorType = 'service';
  return { id, type: actorType, details };
}

function outcomeOf(record: Obj): { status: EventStatus; error: { code?: string; message?: string } | undefined } {
  const code = text(record.errorCode);
  if (code !== undefined) return { status: 'FAILURE', error: { code, message: text(record.errorMessage) } };
  // ConsoleLogin reports failure in responseElements, not errorCode.
  const response = isObject(record.responseElements) ? record.responseElements : undefined;
  if (response !== undefined && response.ConsoleLogin === 'Failure') {
    return { status: 'FAILURE', error: { code: 'ConsoleLoginFailure', message: text(record.errorMessage) } };
  }
  return { status: 'SUCCESS', error: undefined };
}
