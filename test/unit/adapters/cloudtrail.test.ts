import { describe, expect, it } from 'vitest';
import { cloudTrailActionType, cloudTrailService } from '../../../processors/adapters/cloudtrail.js';
import { deterministicUuid } from '../../../processors/adapters/common.js';
import { cloudTrailAssumedRole, cloudTrailAwsService, cloudTrailFederatedUserDenied, cloudTrailIamUser, cloudTrailRootConsoleLoginFailure } from './fixtures.js';
import { events, one, rejection } from './helpers.js';

describe('CloudTrail adapter', () => {
  it('maps an IAMUser record: name, actor, audit payload, attributes; a non-UUID eventID gets a v5 id', () => {
    const event = one(cloudTrailIamUser, 'cloudtrail');
    expect(event).toMatchObject({
      id: deterministicUuid('cloudtrail:e755e09c-42f9-4c5c-9064-EXAMPLE228c7'),
      event_timestamp: '2023-07-19T21:17:28.000Z',
      source: 'ec2.amazonaws.com',
      action: { name: 'aws.ec2.start_instances', type: 'create' },
      actor: { id: 'AIDA6ON6E4XEGITEXAMPLE', type: 'user', details: cloudTrailIamUser.userIdentity },
      entity: { id: '888888888888', type: 'ec2' },
      context: {
        client: { ip_address: '192.0.2.0', user_agent: cloudTrailIamUser.userAgent },
        domain_specific: { audit: { request: cloudTrailIamUser.requestParameters, response: cloudTrailIamUser.responseElements } },
        attributes: { 'aws.region': 'us-east-1', 'aws.account_id': '888888888888', 'aws.event_type': 'AwsApiCall', 'aws.request_id': 'e4336db0-149f-4a6b-844d-EXAMPLEb9d16', 'tls.version': 'TLSv1.2' },
        status: 'SUCCESS',
      },
    });
  });

  it('maps an AssumedRole data event: session issuer kept in details, resources as entity, microseconds truncated, IPv6 kept', () => {
    const event = one(cloudTrailAssumedRole);
    expect(event.id).toBe('1f3a5a6e-9b9b-4f6b-9a9b-0123456789ab');
    expect(event.event_timestamp).toBe('2023-07-19T21:17:28.123Z');
    expect(event.action).toEqual({ name: 'aws.s3.put_object', type: 'update' });
    expect(event.actor.id).toBe('AROAIDPPEZS35WEXAMPLE:AssumedRoleSessionName');
    expect(event.actor.type).toBe('user');
    expect((event.actor.details?.sessionContext as { sessionIssuer: { userName: string } }).sessionIssuer.userName).toBe('RoleToBeAssumed');
    expect(event.entity).toMatchObject({ id: 'arn:aws:s3:::amzn-s3-demo-bucket/reports/q3.csv', type: 'AWS::S3::Object' });
    expect(event.context?.client?.ip_address).toBe('2001:db8::abcd');
    expect(event.context?.domain_specific?.audit?.response).toBeUndefined();
    expect(event.context?.attributes?.['aws.event_category']).toBe('Data');
    expect(JSON.parse(event.context?.attributes?.['aws.additional_event_data'] as string)).toEqual(cloudTrailAssumedRole.additionalEventData);
  });

  it('a failed root ConsoleLogin (no errorCode, responseElements.ConsoleLogin = Failure) is a FAILURE access event', () => {
    const event = one(cloudTrailRootConsoleLoginFailure);
    expect(event.action).toEqual({ name: 'aws.signin.console_login', type: 'access' });
    expect(event.actor).toMatchObject({ id: '111122223333', type: 'user' });
    expect(event.context?.status).toBe('FAILURE');
    expect(event.context?.error).toEqual({ code: 'ConsoleLoginFailure', message: 'Failed authentication' });
  });

  it('an AWSService identity is a service actor named by invokedBy; a service name in sourceIPAddress is an attribute', () => {
    const event = one(cloudTrailAwsService);
    expect(event.actor).toMatchObject({ id: 'cloudtrail.amazonaws.com', type: 'service' });
    expect(event.action).toEqual({ name: 'aws.sts.assume_role', type: 'access' });
    expect(event.context?.client?.ip_address).toBeUndefined();
    expect(event.context?.attributes?.['aws.source']).toBe('cloudtrail.amazonaws.com');
  });

  it('a denied FederatedUser call has status FAILURE with errorCode and errorMessage', () => {
    const event = one(cloudTrailFederatedUserDenied);
    expect(event.actor).toMatchObject({ id: '123456789012:Alice', type: 'user' });
    expect(event.action).toEqual({ name: 'aws.iam.create_user', type: 'create' });
    expect(event.context?.status).toBe('FAILURE');
    expect(event.context?.error?.code).toBe('AccessDenied');
    expect(event.context?.attributes?.['aws.source']).toBe('AWS Internal');
  });

  it('a Records file yields one event per record, in order', () => {
    const all = events({ Records: [cloudTrailIamUser, cloudTrailAssumedRole, cloudTrailRootConsoleLoginFailure] });
    expect(all.map((e) => e.action.name)).toEqual(['aws.ec2.start_instances', 'aws.s3.put_object', 'aws.signin.console_login']);
  });

  it('an identity with no id at all is anonymous', () => {
    const event = one({ ...cloudTrailRootConsoleLoginFailure, userIdentity: { type: 'IAMUser', accountId: undefined } });
    expect(event.actor.type).toBe('anonymous');
  });

  it('derives service and action type', () => {
    expect(cloudTrailService('execute-api.amazonaws.com')).toBe('execute_api');
    expect(cloudTrailService('s3.amazonaws.com.cn')).toBe('s3');
    expect(cloudTrailActionType('DescribeInstances', true)).toBe('read');
    expect(cloudTrailActionType('DeleteBucket', false)).toBe('delete');
    expect(cloudTrailActionType('ModifyInstanceAttribute', false)).toBe('update');
    expect(cloudTrailActionType('Frobnicate', true)).toBe('read');
    expect(cloudTrailActionType('Frobnicate', false)).toBe('other');
  });

  it.each([
    [{ ...cloudTrailIamUser, eventTime: 'last tuesday' }, 'TIMESTAMP_INVALID'],
    [{ ...cloudTrailIamUser, eventTime: undefined }, 'TIMESTAMP_INVALID'],
    [{ ...cloudTrailIamUser, eventName: '!!!' }, 'EVENT_NAME_INVALID'],
    [{ ...cloudTrailIamUser, eventSource: 'not a host' }, 'FIELD_INVALID'],
    [{ Records: [] }, 'EMPTY_BATCH'],
    [{ Records: [cloudTrailIamUser, { eventSource: 's3.amazonaws.com' }] }, 'FORMAT_UNKNOWN'],
  ])('rejects %#: %s', (payload, code) => {
    expect(rejection(payload, 'cloudtrail', 'AKIAIOSFODNN7EXAMPLE').code).toBe(code);
  });
});
