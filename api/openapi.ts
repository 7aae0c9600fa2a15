/** The OpenAPI 3.1 description of the HTTP API, served at /openapi.json. */

const errorBody = {
  description: 'Error',
  content: {
    'application/json': {
      schema: { $ref: '#/components/schemas/Error' },
    },
  },
};

const userParameter = {
  name: 'user',
  in: 'path',
  required: true,
  description: 'The subject (application user id). A read key bound to a subject may only name that subject.',
  schema: { type: 'string' },
};

const authErrors = { '401': errorBody, '403': errorBody };

export const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Quintet HTTP API',
    version: '1.0.0',
    description:
      'Ingest events in any supported format, read feeds and notifications, query dashboards and request erasure. ' +
      'Every endpoint but /healthz and /readyz requires `Authorization: Bearer <API key>` with the scope named in its description.',
  },
  components: {
    securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A Quintet API key (qk_…), created with `quintet keys create`.' } },
    schemas: {
      Error: {
        type: 'object',
        required: ['error'],
        properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } },
      },
      IngestOutcome: {
        type: 'object',
        required: ['accepted', 'rejected'],
        properties: {
          accepted: {
            type: 'array',
            items: { type: 'object', properties: { index: { type: 'integer' }, ids: { type: 'array', items: { type: 'string', format: 'uuid' } } } },
          },
          rejected: {
            type: 'array',
            items: { type: 'object', properties: { index: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } } },
          },
        },
      },
      MarkRequest: {
        type: 'object',
        properties: {
          item_id: { type: 'string', description: 'Mark one item.' },
          up_to: { type: 'string', format: 'date-time', description: 'Mark every item up to this time.' },
        },
      },
    },
  },
  security: [{ apiKey: [] }],
  paths: {
    '/healthz': { get: { summary: 'Liveness', security: [], responses: { '200': { description: 'Alive' } } } },
    '/readyz': { get: { summary: 'Readiness of the backends', security: [], responses: { '200': { description: 'Ready' }, '503': { description: 'Not ready' } } } },
    '/metrics': { get: { summary: 'Prometheus metrics (scope admin)', responses: { '200': { description: 'Prometheus text format' }, ...authErrors } } },
    '/v1/events': {
      post: {
        summary: 'Submit one event or a batch (scope ingest)',
        description:
          'The body is one JSON event or an array of events in any supported format (auto-detected, or `format=`). ' +
          'Accepted events are produced to the raw topic; the answer says which were accepted and why others were rejected. ' +
          'Bodies over the size limit are refused before they are read in full (413). Per-key rate limits apply (429).',
        parameters: [
          {
            name: 'format',
            in: 'query',
            schema: { type: 'string', enum: ['auto', 'segment', 'mixpanel', 'amplitude', 'cloudtrail', 'auth0', 'github', 'otel', 'cloudevents', 'canonical'] },
          },
        ],
        requestBody: { required: true, content: { 'application/json': { schema: {} } } },
        responses: {
          '202': { description: 'At least one event accepted', content: { 'application/json': { schema: { $ref: '#/components/schemas/IngestOutcome' } } } },
          '422': { description: 'Every event rejected', content: { 'application/json': { schema: { $ref: '#/components/schemas/IngestOutcome' } } } },
          '400': errorBody,
          '413': errorBody,
          '429': errorBody,
          ...authErrors,
        },
      },
    },
    '/v1/feeds/{user}': {
      get: {
        summary: "A page of the user's inbox, newest first (scope read)",
        parameters: [
          userParameter,
          { name: 'cursor', in: 'query', schema: { type: 'string' } },
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } },
        ],
        responses: { '200': { description: 'Items and the next cursor' }, ...authErrors },
      },
    },
    '/v1/notifications/{user}': {
      get: {
        summary: 'Aggregated notifications with unseen and unread counts (scope read)',
        parameters: [userParameter, { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 500, default: 50 } }],
        responses: { '200': { description: 'Notifications and counts' }, ...authErrors },
      },
    },
    '/v1/notifications/{user}/read': {
      post: {
        summary: 'Mark one notification, or all up to a time, as read (scope read)',
        parameters: [userParameter],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/MarkRequest' } } } },
        responses: { '200': { description: 'Counts after the change' }, '400': errorBody, ...authErrors },
      },
    },
    '/v1/notifications/{user}/seen': {
      post: {
        summary: 'Mark one notification, or all up to a time, as seen (scope read)',
        parameters: [userParameter],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/MarkRequest' } } } },
        responses: { '200': { description: 'Counts after the change' }, '400': errorBody, ...authErrors },
      },
    },
    '/v1/dashboards': { get: { summary: 'Names of the dashboards (scope admin)', responses: { '200': { description: 'Names' }, ...authErrors } } },
    '/v1/dashboards/{name}': {
      get: {
        summary: 'Rows of one named dashboard (scope admin); query parameters are the dashboard parameters (from, to, …)',
        parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' } }],
        responses: { '200': { description: 'Columns and rows' }, '400': errorBody, '404': errorBody, ...authErrors },
      },
    },
    '/v1/erasure': {
      post: {
        summary: 'Erase a subject by crypto-shredding (scope admin)',
        requestBody: {
          required: true,
          content: { 'application/json': { schema: { type: 'object', required: ['subject'], properties: { subject: { type: 'string' } } } } },
        },
        responses: { '202': { description: 'Erased; the pseudonyms are named' }, '400': errorBody, ...authErrors },
      },
    },
  },
} as const;
