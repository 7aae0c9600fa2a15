/**
 * Quintet's HTTP API (served by `quintet run api` and by the demo). Plain node:http: the surface is
 * small, and owning the body reader lets us refuse oversized bodies before reading them in full.
 *
 * Contract (see api/openapi.ts): every endpoint but /healthz and /readyz needs `Authorization: Bearer <key>`;
 * a missing or wrong key → 401, a key without the scope → 403, both as JSON errors that reveal nothing.
 * Logs carry the route template, status and duration — never a path parameter (subject ids are PII).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../core/logger.js';
import type { QuintetMetrics } from '../core/metrics.js';
import { isQuintetError } from '../core/errors.js';
import type { ApiKeyRecord, ApiKeys, ApiScope } from './api-keys.js';
import { OPENAPI_DOCUMENT } from './openapi.js';
import { TokenBucketRateLimiter } from './rate-limiter.js';

export interface IngestOutcome {
  readonly accepted: ReadonlyArray<{ readonly index: number; readonly ids: readonly string[] }>;
  readonly rejected: ReadonlyArray<{ readonly index: number; readonly code: string; readonly message: string }>;
}

/** Validates each submitted event and hands the accepted ones to the raw topic. */
export interface IngestBackend {
  submit(items: readonly unknown[], format: string | undefined): Promise<IngestOutcome>;
}

export interface FeedBackend {
  inbox(subject: string, options: { cursor?: string; limit: number }): Promise<unknown>;
  notifications(subject: string, options: { limit: number }): Promise<unknown>;
  markRead(subject: string, options: { itemId?: string; upTo?: string }): Promise<unknown>;
  markSeen(subject: string, options: { itemId?: string; upTo?: string }): Promise<unknown>;
}

export interface DashboardBackend {
  names(): readonly string[];
  run(name: string, parameters: Readonly<Record<string, string>>): Promise<unknown>;
}

export interface ErasureBackend {
  erase(subject: string): Promise<unknown>;
}

export interface ApiServerOptions {
  readonly keys: ApiKeys;
  readonly ingest?: IngestBackend;
  readonly feeds?: FeedBackend;
  readonly dashboards?: DashboardBackend;
  readonly erasure?: ErasureBackend;
  readonly metrics?: QuintetMetrics;
  readonly logger?: Logger;
  readonly maxBodyBytes: number;
  /** Default ingest rate limit per key, events per second. */
  readonly ingestPerSecond?: number;
  /** Readiness of the backends (Kafka connected, stores reachable). */
  readonly ready?: () => Promise<boolean>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

type Handler = (request: ApiRequest) => Promise<{ status?: number; body: unknown }>;

interface ApiRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  readonly key: ApiKeyRecord | undefined;
  readonly raw: IncomingMessage;
  body(): Promise<unknown>;
}

interface Route {
  readonly method: string;
  readonly template: string;
  readonly pattern: RegExp;
  readonly paramNames: readonly string[];
  /** undefined: no key needed. */
  readonly scope: ApiScope | 'any' | undefined;
  readonly handler: Handler;
}

const MAX_PAGE = 500;

export class ApiServer {
  readonly #options: ApiServerOptions;
  readonly #routes: Route[] = [];
  readonly #limiter: TokenBucketRateLimiter;
  #server: Server | undefined;

  constructor(options: ApiServerOptions) {
    this.#options = options;
    this.#limiter = new TokenBucketRateLimiter(options.ingestPerSecond ?? 10_000);
    this.#defineRoutes();
  }

  /** Starts listening; resolves to the bound port. */
  async listen(port: number, host: string): Promise<number> {
    const server = createServer((request, response) => void this.#handle(request, response));
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (server === undefined) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #route(method: string, template: string, scope: Route['scope'], handler: Handler): void {
    const paramNames: string[] = [];
    const source = template.replace(/:([a-z]+)/g, (_, name: string) => {
      paramNames.push(name);
      return '([^/]+)';
    });
    this.#routes.push({ method, template, pattern: new RegExp(`^${source}$`), paramNames, scope, handler });
  }

  #defineRoutes(): void {
    const o = this.#options;
    this.#route('GET', '/healthz', undefined, async () => ({ body: { status: 'ok' } }));
    this.#route('GET', '/readyz', undefined, async () => {
      const ready = o.ready === undefined ? true : await o.ready().catch(() => false);
      return { status: ready ? 200 : 503, body: { status: ready ? 'ready' : 'not_ready' } };
    });
    this.#route('GET', '/openapi.json', 'any', async () => ({ body: OPENAPI_DOCUMENT }));
    this.#route('GET', '/metrics', 'admin', async () => {
      if (o.metrics === undefined) throw new HttpError(404, 'NOT_AVAILABLE', 'metrics are not enabled');
      return { body: new RawText(await o.metrics.scrape(), o.metrics.registry.contentType) };
    });

    this.#route('POST', '/v1/events', 'ingest', async (request) => {
      const ingest = required(o.ingest, 'ingest');
      const format = request.query.get('format') ?? undefined;
      const body = await request.body();
      const items = Array.isArray(body) ? body : [body];
      if (items.length === 0) throw new HttpError(400, 'EMPTY_BATCH', 'the batch holds no events');
      const key = request.key as ApiKeyRecord;
      const waitMs = this.#limiter.take(key.id, items.length, key.ingestPerSecond);
      if (waitMs > 0) {
        throw new HttpError(429, 'RATE_LIMITED', 'ingest rate limit exceeded for this key', { 'retry-after': String(Math.ceil(waitMs / 1000)) });
      }
      const outcome = await ingest.submit(items, format);
      return { status: outcome.accepted.length === 0 ? 422 : 202, body: outcome };
    });

    this.#route('GET', '/v1/feeds/:user', 'read', async (request) => {
      const feeds = required(o.feeds, 'feeds');
      const cursor = request.query.get('cursor') ?? undefined;
      return { body: await feeds.inbox(request.params.user as string, { ...(cursor === undefined ? {} : { cursor }), limit: pageSize(request.query) }) };
    });
    this.#route('GET', '/v1/notifications/:user', 'read', async (request) => {
      const feeds = required(o.feeds, 'feeds');
      return { body: await feeds.notifications(request.params.user as string, { limit: pageSize(request.query) }) };
    });
    for (const action of ['read', 'seen'] as const) {
      this.#route('POST', `/v1/notifications/:user/${action}`, 'read', async (request) => {
        const feeds = required(o.feeds, 'feeds');
        const body = (await request.body()) as { item_id?: unknown; up_to?: unknown } | null;
        const options = markOptions(body);
        const subject = request.params.user as string;
        return { body: action === 'read' ? await feeds.markRead(subject, options) : await feeds.markSeen(subject, options) };
      });
    }

    this.#route('GET', '/v1/dashboards', 'admin', async () => ({ body: { dashboards: required(o.dashboards, 'dashboards').names() } }));
    this.#route('GET', '/v1/dashboards/:name', 'admin', async (request) => {
      const dashboards = required(o.dashboards, 'dashboards');
      const name = request.params.name as string;
      if (!dashboards.names().includes(name)) throw new HttpError(404, 'DASHBOARD_UNKNOWN', `no dashboard named "${name.slice(0, 64)}"`);
      return { body: await dashboards.run(name, Object.fromEntries(request.query.entries())) };
    });

    this.#route('POST', '/v1/erasure', 'admin', async (request) => {
      const erasure = required(o.erasure, 'erasure');
      const body = (await request.body()) as { subject?: unknown } | null;
      if (body === null || typeof body !== 'object' || typeof body.subject !== 'string' || body.subject === '' || body.subject.length > 1024) {
        throw new HttpError(400, 'SUBJECT_REQUIRED', 'body must be {"subject": "<identifier>"}');
      }
      return { status: 202, body: await erasure.erase(body.subject) };
    });
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const started = performance.now();
    let template = 'unmatched';
    let status = 500;
    try {
      const url = new URL(request.url ?? '/', 'http://localhost');
      const candidates = this.#routes.filter((r) => r.pattern.test(url.pathname));
      const route = candidates.find((r) => r.method === request.method);
      if (route === undefined) {
        throw candidates.length > 0
          ? new HttpError(405, 'METHOD_NOT_ALLOWED', 'method not allowed', { allow: candidates.map((r) => r.method).join(', ') })
          : new HttpError(404, 'NOT_FOUND', 'no such endpoint');
      }
      template = route.template;
      const key = route.scope === undefined ? undefined : await this.#authorize(request, route, url);
      const match = route.pattern.exec(url.pathname) as RegExpExecArray;
      const params: Record<string, string> = {};
      route.paramNames.forEach((name, i) => {
        params[name] = decodeURIComponent(match[i + 1] as string);
      });
      if (key?.subject !== undefined && params.user !== undefined && params.user !== key.subject) {
        throw new HttpError(403, 'FORBIDDEN', 'this key may not access that resource');
      }
      const result = await route.handler({ params, query: url.searchParams, key, raw: request, body: () => this.#readJson(request) });
      status = result.status ?? 200;
      send(response, status, result.body);
    } catch (error) {
      if (error instanceof HttpError) {
        status = error.status;
        send(response, status, { error: { code: error.code, message: error.message } }, error.headers);
      } else if (isQuintetError(error) && error.code.endsWith('_INVALID')) {
        status = 400;
        send(response, status, { error: { code: error.code, message: error.message } });
      } else {
        status = 500;
        this.#options.logger?.error({ route: template, code: isQuintetError(error) ? error.code : 'UNEXPECTED' }, 'request failed');
        send(response, status, { error: { code: 'INTERNAL', message: 'internal error' } });
      }
    } finally {
      this.#options.metrics?.httpRequests.inc({ route: `${request.method} ${template}`, status: String(status) });
      this.#options.logger?.debug({ route: `${request.method} ${template}`, status, ms: Math.round(performance.now() - started) }, 'request');
    }
  }

  async #authorize(request: IncomingMessage, route: Route, _url: URL): Promise<ApiKeyRecord> {
    const header = request.headers.authorization ?? '';
    const presented = header.startsWith('Bearer ') ? header.slice(7).trim() : '';
    const key = presented === '' ? undefined : await this.#options.keys.authenticate(presented);
    if (key === undefined) {
      throw new HttpError(401, 'UNAUTHORIZED', 'a valid API key is required', { 'www-authenticate': 'Bearer' });
    }
    if (route.scope !== 'any' && !key.scopes.includes(route.scope as ApiScope)) {
      throw new HttpError(403, 'FORBIDDEN', 'this key may not access that resource');
    }
    return key;
  }

  /** Reads a JSON body, refusing it before it is read in full when it exceeds the limit. */
  async #readJson(request: IncomingMessage): Promise<unknown> {
    const limit = this.#options.maxBodyBytes;
    const declared = Number(request.headers['content-length'] ?? Number.NaN);
    if (Number.isFinite(declared) && declared > limit) {
      throw new HttpError(413, 'BODY_TOO_LARGE', `request body exceeds ${limit} bytes`, { connection: 'close' });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > limit) {
        throw new HttpError(413, 'BODY_TOO_LARGE', `request body exceeds ${limit} bytes`, { connection: 'close' });
      }
      chunks.push(chunk as Buffer);
    }
    if (size === 0) return null;
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks, size));
    } catch {
      throw new HttpError(400, 'UTF8_INVALID', 'request body is not valid UTF-8');
    }
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new HttpError(400, 'JSON_INVALID', 'request body is not valid JSON');
    }
  }
}

class RawText {
  constructor(
    readonly text: string,
    readonly contentType: string,
  ) {}
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (response.headersSent) return;
  const isText = body instanceof RawText;
  const payload = isText ? body.text : JSON.stringify(body);
  response.writeHead(status, {
    'content-type': isText ? body.contentType : 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  response.end(payload);
  // An unread (oversized) body must not be read further: close the connection once the answer is out.
  if (headers.connection === 'close') response.once('finish', () => response.socket?.destroySoon());
}

function required<T>(backend: T | undefined, name: string): T {
  if (backend === undefined) throw new HttpError(404, 'NOT_AVAILABLE', `the ${name} endpoints are not served by this process`);
  return backend;
}

function pageSize(query: URLSearchParams): number {
  const raw = query.get('limit');
  if (raw === null) return 50;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1 || value > MAX_PAGE) throw new HttpError(400, 'LIMIT_INVALID', `limit must be an integer from 1 to ${MAX_PAGE}`);
  return value;
}

function markOptions(body: { item_id?: unknown; up_to?: unknown } | null): { itemId?: string; upTo?: string } {
  if (body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'BODY_INVALID', 'body must be a JSON object');
  const options: { itemId?: string; upTo?: string } = {};
  if (body.item_id !== undefined) {
    if (typeof body.item_id !== 'string' || body.item_id === '') throw new HttpError(400, 'ITEM_ID_INVALID', 'item_id must be a non-empty string');
    options.itemId = body.item_id;
  }
  if (body.up_to !== undefined) {
    if (typeof body.up_to !== 'string' || Number.isNaN(Date.parse(body.up_to))) throw new HttpError(400, 'UP_TO_INVALID', 'up_to must be an ISO-8601 time');
    options.upTo = new Date(body.up_to).toISOString();
  }
  return options;
}
