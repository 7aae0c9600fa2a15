/**
 * A realistic, deterministic workload of raw events in the formats producers really send: Segment
 * track/identify, Mixpanel, Amplitude, Auth0 logs (with failed logins), CloudTrail (with denied calls),
 * GitHub audit entries, OpenTelemetry logs, CloudEvents and canonical social activity (follows, posts,
 * likes), plus a few invalid events. Used by the demo, `quintet produce --generate`, benchmarks and
 * chaos runs. The same seed always gives the same events, so reports can be checked against `expected`.
 */
import { createHash } from 'node:crypto';

export interface RawEvent {
  /** Kafka key (the producer's natural partitioning key), if any. */
  readonly key?: string;
  readonly value: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** What the generator meant to send, for checking reports (never sent to Kafka). */
  readonly kind: WorkloadKind;
}

export type WorkloadKind =
  | 'segment.track'
  | 'segment.identify'
  | 'mixpanel'
  | 'amplitude'
  | 'auth0.success'
  | 'auth0.failure'
  | 'cloudtrail'
  | 'cloudtrail.denied'
  | 'github'
  | 'otel'
  | 'cloudevents'
  | 'social.follow'
  | 'social.post'
  | 'social.like'
  | 'invalid';

export interface WorkloadOptions {
  readonly events: number;
  readonly users?: number;
  readonly seed?: number;
  /** Epoch ms of the first event; events are spread one `spacingMs` apart. */
  readonly startMs?: number;
  readonly spacingMs?: number;
  /** Fraction of deliberately invalid events (default 0.01). */
  readonly invalidFraction?: number;
}

export interface Workload {
  readonly events: RawEvent[];
  readonly users: readonly WorkloadUser[];
  /** Count of generated events per kind. */
  readonly expected: Readonly<Record<WorkloadKind, number>>;
  /** The subject whose erasure the demo requests (it has activity of every kind). */
  readonly erasureSubject: string;
}

export interface WorkloadUser {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly ip: string;
  /** The user's one device (Amplitude `device_id`): a device keeps its id from event to event. */
  readonly deviceId: string;
  /** The IAM user's unique id (CloudTrail `principalId`), fixed for the life of the IAM user as in AWS. */
  readonly iamPrincipalId: string;
}

/** How long a generated session lasts: Amplitude's session id is its start, shared by its events. */
const SESSION_MS = 30 * 60_000;
/** How long an assumed-role session's temporary credentials are used (CloudTrail `accessKeyId`). */
const ROLE_SESSION_MS = 60 * 60_000;
/** The role every generated AssumedRole identity assumed: its unique id is the sessionIssuer's principalId. */
const DEPLOYER_ROLE_ID = 'AROAEXAMPLEROLE';

/** mulberry32: tiny, fast, deterministic. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const FIRST_NAMES = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Frances', 'Ken', 'Radia', 'Linus', 'Margaret', 'Dennis'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Allen', 'Thompson', 'Perlman', 'Torvalds', 'Hamilton', 'Ritchie'];
const PRODUCTS = ['Espresso Machine', 'Coffee Grinder', 'Milk Frother', 'Pour Over Kit', 'Kettle'];
const SERVICES = ['checkout', 'search', 'billing', 'accounts'];

/** A UUID (v4 layout) derived from a seed string, so generated ids are stable across runs. */
function stableUuid(seed: string): string {
  const hex = stableHex(seed, 32);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${((parseInt(hex.slice(16, 17), 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** Hex digits derived from a seed string: ids that belong to a user stay the same across its events and runs. */
function stableHex(seed: string, length: number): string {
  return createHash('sha256').update(seed).digest('hex').slice(0, length);
}

function hex(rand: () => number, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += Math.floor(rand() * 16).toString(16);
  return out;
}

export function generateWorkload(options: WorkloadOptions): Workload {
  const rand = random(options.seed ?? 42);
  const userCount = Math.max(4, options.users ?? Math.max(8, Math.round(Math.sqrt(options.events))));
  const startMs = options.startMs ?? Date.UTC(2026, 10, 28, 9, 0, 0);
  const spacingMs = options.spacingMs ?? 250;
  const invalidFraction = options.invalidFraction ?? 0.01;
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)] as T;

  const users: WorkloadUser[] = Array.from({ length: userCount }, (_, i) => {
    const first = FIRST_NAMES[i % FIRST_NAMES.length] as string;
    const last = LAST_NAMES[Math.floor(i / FIRST_NAMES.length) % LAST_NAMES.length] as string;
    return {
      id: `user-${String(i + 1).padStart(5, '0')}`,
      email: `${first.toLowerCase()}.${last.toLowerCase()}${i}@example.com`,
      name: `${first} ${last}`,
      ip: `198.51.${Math.floor(i / 250) % 256}.${(i % 250) + 1}`,
      deviceId: `device-${stableHex(`device-${i}`, 8)}`,
      iamPrincipalId: `AIDA${stableHex(`iam-${i}`, 16).toUpperCase()}`,
    };
  });
  // The first user is the erasure subject; it follows and is followed, posts and likes.
  const erasureSubject = users[0] as WorkloadUser;
  const posts: { id: string; owner: WorkloadUser }[] = [];
  const expected = Object.fromEntries(
    (
      [
        'segment.track',
        'segment.identify',
        'mixpanel',
        'amplitude',
        'auth0.success',
        'auth0.failure',
        'cloudtrail',
        'cloudtrail.denied',
        'github',
        'otel',
        'cloudevents',
        'social.follow',
        'social.post',
        'social.like',
        'invalid',
      ] as WorkloadKind[]
    ).map((k) => [k, 0]),
  ) as Record<WorkloadKind, number>;
  const events: RawEvent[] = [];
  const push = (event: RawEvent) => {
    events.push(event);
    expected[event.kind] += 1;
  };

  // Everyone identifies first, and a small follow graph exists before activity starts.
  let clock = startMs;
  const at = () => new Date((clock += spacingMs)).toISOString();
  for (const user of users) push(segmentIdentify(user, at(), rand));
  const followsPerUser = Math.min(3, users.length - 1);
  for (const [i, user] of users.entries()) {
    for (let f = 1; f <= followsPerUser; f++) push(socialFollow(user, users[(i + f) % users.length] as WorkloadUser, at()));
  }

  while (events.length < options.events) {
    const user = rand() < 0.15 ? erasureSubject : pick(users);
    const time = at();
    if (rand() < invalidFraction) {
      push(invalidEvent(events.length, rand));
      continue;
    }
    const roll = rand();
    if (roll < 0.14) push(segmentTrack(user, time, rand, pick));
    else if (roll < 0.22) push(mixpanelTrack(user, time, rand, pick));
    else if (roll < 0.3) push(amplitudeEvent(user, time, rand, pick));
    else if (roll < 0.4) push(auth0Log(user, time, rand));
    else if (roll < 0.48) push(cloudTrailRecord(user, time, rand));
    else if (roll < 0.53) push(gitHubAudit(user, time, rand));
    else if (roll < 0.63) push(otelLog(user, time, rand, pick));
    else if (roll < 0.68) push(cloudEvent(user, time, rand));
    else if (roll < 0.8 || posts.length === 0) {
      const post = { id: `post-${hex(rand, 10)}`, owner: user };
      posts.push(post);
      push(socialPost(user, post.id, time));
    } else {
      const post = rand() < 0.5 ? (posts[posts.length - 1] as { id: string; owner: WorkloadUser }) : pick(posts);
      push(socialLike(user, post.id, post.owner, time));
    }
  }
  return { events, users, expected, erasureSubject: erasureSubject.id };
}

function segmentIdentify(user: WorkloadUser, time: string, rand: () => number): RawEvent {
  return {
    key: user.id,
    kind: 'segment.identify',
    value: JSON.stringify({
      type: 'identify',
      messageId: stableUuid(`identify-${user.id}-${time}`),
      userId: user.id,
      timestamp: time,
      traits: { email: user.email, name: user.name, plan: rand() < 0.3 ? 'pro' : 'free', ab_test_group: rand() < 0.5 ? 'A' : 'B' },
      context: { ip: user.ip, library: { name: 'analytics.js', version: '4.1.0' } },
    }),
  };
}

function segmentTrack(user: WorkloadUser, time: string, rand: () => number, pick: <T>(items: readonly T[]) => T): RawEvent {
  const product = pick(PRODUCTS);
  return {
    key: user.id,
    kind: 'segment.track',
    value: JSON.stringify({
      type: 'track',
      event: rand() < 0.5 ? 'Order Completed' : 'Product Viewed',
      messageId: stableUuid(`track-${user.id}-${time}`),
      userId: user.id,
      timestamp: time,
      properties: { product_id: `sku-${product.length}${Math.floor(rand() * 90) + 10}`, name: product, revenue: Math.round(rand() * 30000) / 100, currency: 'USD' },
      context: {
        ip: user.ip,
        userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
        library: { name: 'analytics.js', version: '4.1.0' },
        page: { path: '/shop', url: 'https://shop.example.com/shop' },
      },
    }),
  };
}

function mixpanelTrack(user: WorkloadUser, time: string, rand: () => number, pick: <T>(items: readonly T[]) => T): RawEvent {
  return {
    key: user.id,
    kind: 'mixpanel',
    value: JSON.stringify({
      event: 'Song Played',
      properties: {
        time: Math.floor(Date.parse(time) / 1000),
        distinct_id: user.id,
        $insert_id: hex(rand, 24),
        $lib: 'web',
        ip: user.ip,
        song_name: pick(['Blue in Green', 'So What', 'Naima', 'Giant Steps']),
        duration_s: Math.floor(rand() * 300) + 60,
      },
    }),
  };
}

function amplitudeEvent(user: WorkloadUser, time: string, rand: () => number, pick: <T>(items: readonly T[]) => T): RawEvent {
  return {
    key: user.id,
    kind: 'amplitude',
    value: JSON.stringify({
      user_id: user.id,
      device_id: user.deviceId,
      event_type: 'Button Clicked',
      time: Date.parse(time),
      insert_id: stableUuid(`amp-${user.id}-${time}`),
      session_id: Date.parse(time) - (Date.parse(time) % SESSION_MS),
      ip: user.ip,
      platform: 'Web',
      app_version: '2.3.1',
      event_properties: { button: pick(['buy', 'share', 'save']), page: '/product' },
      user_properties: { plan: 'free' },
    }),
  };
}

function auth0Log(user: WorkloadUser, time: string, rand: () => number): RawEvent {
  const failed = rand() < 0.3;
  return {
    key: user.id,
    kind: failed ? 'auth0.failure' : 'auth0.success',
    value: JSON.stringify({
      log_id: `9000${hex(rand, 24)}`,
      date: time,
      type: failed ? 'f' : 's',
      description: failed ? 'Wrong email or password.' : 'Successful login',
      connection: 'Username-Password-Authentication',
      connection_id: 'con_2Pc4xrZbXv1Rn2fE',
      client_id: 'AaiyAPdpYdesoKnqjj8HJqRn4T5titww',
      client_name: 'Shop Web',
      ip: user.ip,
      user_agent: 'Chrome 126.0.0 / Linux 0.0.0',
      user_id: failed ? '' : `auth0|${user.id}`,
      user_name: user.email,
      strategy: 'auth0',
      strategy_type: 'database',
    }),
  };
}

function cloudTrailRecord(user: WorkloadUser, time: string, rand: () => number): RawEvent {
  const denied = rand() < 0.25;
  const assumed = rand() < 0.4;
  return {
    key: user.id,
    kind: denied ? 'cloudtrail.denied' : 'cloudtrail',
    value: JSON.stringify({
      eventVersion: '1.09',
      userIdentity: assumed
        ? {
            type: 'AssumedRole',
            // As in AWS: the role's unique id, then the session name; temporary keys last a session.
            principalId: `${DEPLOYER_ROLE_ID}:${user.id}`,
            arn: `arn:aws:sts::123456789012:assumed-role/Deployer/${user.id}`,
            accountId: '123456789012',
            accessKeyId: `ASIA${stableHex(`${user.id}-${Math.floor(Date.parse(time) / ROLE_SESSION_MS)}`, 16).toUpperCase()}`,
            sessionContext: {
              sessionIssuer: { type: 'Role', principalId: DEPLOYER_ROLE_ID, arn: 'arn:aws:iam::123456789012:role/Deployer', accountId: '123456789012', userName: 'Deployer' },
              attributes: { creationDate: time, mfaAuthenticated: 'false' },
            },
          }
        : { type: 'IAMUser', principalId: user.iamPrincipalId, arn: `arn:aws:iam::123456789012:user/${user.id}`, accountId: '123456789012', userName: user.id },
      eventTime: time.replace(/\.\d{3}Z$/, 'Z'),
      eventSource: 's3.amazonaws.com',
      eventName: 'PutObject',
      awsRegion: 'eu-west-1',
      sourceIPAddress: user.ip,
      userAgent: '[aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64]',
      ...(denied ? { errorCode: 'AccessDenied', errorMessage: 'Access Denied' } : {}),
      requestParameters: { bucketName: 'invoices-archive', key: `2026/11/${hex(rand, 8)}.pdf` },
      responseElements: null,
      requestID: hex(rand, 16).toUpperCase(),
      eventID: stableUuid(`ct-${user.id}-${time}`),
      readOnly: false,
      eventType: 'AwsApiCall',
      managementEvent: false,
      recipientAccountId: '123456789012',
      eventCategory: 'Data',
    }),
  };
}

function gitHubAudit(user: WorkloadUser, time: string, rand: () => number): RawEvent {
  return {
    key: user.id,
    kind: 'github',
    value: JSON.stringify({
      '@timestamp': Date.parse(time),
      _document_id: hex(rand, 22),
      action: 'repo.create',
      actor: user.id.replace('user-', 'octo-'),
      actor_id: 1000 + Number(user.id.slice(5)),
      actor_location: { country_code: 'NL' },
      org: 'example-org',
      org_id: 424242,
      repo: `example-org/service-${hex(rand, 4)}`,
      repo_id: Math.floor(rand() * 1_000_000),
      visibility: 'private',
      operation_type: 'create',
      user_agent: 'Mozilla/5.0',
      created_at: Date.parse(time),
    }),
  };
}

function otelLog(user: WorkloadUser, time: string, rand: () => number, pick: <T>(items: readonly T[]) => T): RawEvent {
  const service = pick(SERVICES);
  const slow = rand() < 0.1;
  return {
    key: user.id,
    kind: 'otel',
    value: JSON.stringify({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }, { key: 'host.name', value: { stringValue: 'node-7' } }] },
          scopeLogs: [
            {
              scope: { name: 'io.example.http', version: '1.4.0' },
              logRecords: [
                {
                  timeUnixNano: `${BigInt(Date.parse(time)) * 1_000_000n}`,
                  observedTimeUnixNano: `${BigInt(Date.parse(time) + 3) * 1_000_000n}`,
                  severityNumber: slow ? 13 : 9,
                  severityText: slow ? 'WARN' : 'INFO',
                  body: { stringValue: slow ? 'slow request' : 'request served' },
                  eventName: `${service}.request.served`,
                  attributes: [
                    { key: 'user.id', value: { stringValue: user.id } },
                    { key: 'http.route', value: { stringValue: '/api/items' } },
                    { key: 'http.response.status_code', value: { intValue: '200' } },
                    { key: 'duration_ms', value: { doubleValue: Math.round((slow ? 800 + rand() * 1200 : 5 + rand() * 120) * 10) / 10 } },
                  ],
                  traceId: hex(rand, 32),
                  spanId: hex(rand, 16),
                },
              ],
            },
          ],
        },
      ],
    }),
  };
}

function cloudEvent(user: WorkloadUser, time: string, rand: () => number): RawEvent {
  return {
    key: user.id,
    kind: 'cloudevents',
    value: JSON.stringify({
      specversion: '1.0',
      id: stableUuid(`ce-${user.id}-${time}`),
      source: '/billing/invoices',
      type: 'billing.invoice.created',
      time,
      subject: `invoice-${hex(rand, 6)}`,
      datacontenttype: 'application/json',
      data: { actor: { id: user.id, type: 'user' }, amount: Math.round(rand() * 100000) / 100, currency: 'EUR' },
    }),
  };
}

function canonical(user: WorkloadUser, name: string, entity: Record<string, unknown>, time: string, kind: WorkloadKind): RawEvent {
  return {
    key: user.id,
    kind,
    value: JSON.stringify({
      id: stableUuid(`${name}-${user.id}-${time}-${JSON.stringify(entity)}`),
      event_timestamp: time,
      source: 'app://social',
      spec_version: '1.0',
      action: { name, type: 'social' },
      actor: { id: user.id, type: 'user' },
      entity,
      context: { client: { ip_address: user.ip }, status: 'SUCCESS' },
    }),
  };
}

function socialFollow(follower: WorkloadUser, followee: WorkloadUser, time: string): RawEvent {
  return canonical(follower, 'social.user.followed', { type: 'user', id: followee.id }, time, 'social.follow');
}

function socialPost(author: WorkloadUser, postId: string, time: string): RawEvent {
  return canonical(author, 'social.post.created', { type: 'post', id: postId, details: { text_length: 42 } }, time, 'social.post');
}

function socialLike(liker: WorkloadUser, postId: string, owner: WorkloadUser, time: string): RawEvent {
  return canonical(liker, 'social.post.liked', { type: 'post', id: postId, details: { owner_id: owner.id } }, time, 'social.like');
}

function invalidEvent(index: number, rand: () => number): RawEvent {
  const variants = [
    '{"type":"track","event":"Order Completed","userId":"user-x","timestamp":"2026-11-28T09:00:00Z","properties":{"revenue":',
    JSON.stringify({ id: 'not-a-uuid', event_timestamp: 'yesterday', action: { name: 'Bad Name!' }, actor: {} }),
    JSON.stringify({ hello: 'world', index }),
    `{"a":${'['.repeat(200)}${']'.repeat(200)}}`,
  ];
  return { kind: 'invalid', value: variants[Math.floor(rand() * variants.length)] as string };
}
