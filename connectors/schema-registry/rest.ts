/**
 * The few Confluent Schema Registry REST calls that @kafkajs/confluent-schema-registry does not expose
 * publicly: subject compatibility (`/config/<subject>`), compatibility checks, version lists and subject
 * deletion. Plain `fetch` (Node 20), the same base URL and basic auth as the library client.
 *
 * Reference: Confluent Schema Registry API v7 (Apicurio serves it at /apis/ccompat/v7).
 */
import { SchemaRegistryError, type SchemaRegistryErrorCode } from './errors.js';

export type CompatibilityLevel =
  | 'BACKWARD'
  | 'BACKWARD_TRANSITIVE'
  | 'FORWARD'
  | 'FORWARD_TRANSITIVE'
  | 'FULL'
  | 'FULL_TRANSITIVE'
  | 'NONE';

export const COMPATIBILITY_LEVELS: readonly CompatibilityLevel[] = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
];

export interface RegistryEndpoint {
  /** Base URL of the Confluent API, e.g. http://127.0.0.1:8081/apis/ccompat/v7 (no trailing slash). */
  readonly url: string;
  readonly username?: string | undefined;
  /** Read only to build the Authorization header. */
  readonly password?: string | undefined;
  readonly timeoutMs?: number;
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Maps an HTTP status of the Confluent API to our stable code. */
export function codeForStatus(status: number): SchemaRegistryErrorCode {
  if (status === 404) return 'SCHEMA_NOT_FOUND';
  if (status === 409) return 'SCHEMA_INCOMPATIBLE';
  if (status === 422) return 'SCHEMA_INVALID';
  if (status >= 500) return 'SCHEMA_REGISTRY_UNAVAILABLE';
  return 'SCHEMA_REGISTRY_REQUEST_FAILED';
}

export class ConfluentRegistryRest {
  readonly #url: string;
  readonly #authorization: string | undefined;
  readonly #timeoutMs: number;

  constructor(endpoint: RegistryEndpoint) {
    this.#url = endpoint.url.replace(/\/+$/, '');
    this.#authorization =
      endpoint.username === undefined ? undefined : `Basic ${Buffer.from(`${endpoint.username}:${endpoint.password ?? ''}`).toString('base64')}`;
    this.#timeoutMs = endpoint.timeoutMs ?? 10_000;
  }

  /** PUT /config/<subject>: the compatibility level checked when a new version is registered under it. */
  async setCompatibility(subject: string, level: CompatibilityLevel): Promise<CompatibilityLevel> {
    const body = await this.#request<{ compatibility?: string; compatibilityLevel?: string }>('PUT', `/config/${encodeURIComponent(subject)}`, {
      compatibility: level,
    });
    return (body.compatibility ?? body.compatibilityLevel ?? level) as CompatibilityLevel;
  }

  /** GET /config/<subject>; undefined when the subject has no level of its own. */
  async getCompatibility(subject: string): Promise<CompatibilityLevel | undefined> {
    try {
      const body = await this.#request<{ compatibilityLevel?: string; compatibility?: string }>('GET', `/config/${encodeURIComponent(subject)}`);
      return (body.compatibilityLevel ?? body.compatibility) as CompatibilityLevel | undefined;
    } catch (error) {
      if (error instanceof SchemaRegistryError && error.code === 'SCHEMA_NOT_FOUND') return undefined;
      throw error;
    }
  }

  /** POST /compatibility/subjects/<subject>/versions/latest: would this Avro schema be accepted? */
  async isCompatible(subject: string, schema: object | string): Promise<boolean> {
    const body = await this.#request<{ is_compatible: boolean }>('POST', `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest`, {
      schema: typeof schema === 'string' ? schema : JSON.stringify(schema),
    });
    return body.is_compatible;
  }

  /** POST /subjects/<subject>: the id of an Avro schema (text) already registered under the subject. */
  async lookupSchemaId(subject: string, schema: string): Promise<number> {
    const body = await this.#request<{ id: number }>('POST', `/subjects/${encodeURIComponent(subject)}`, { schema });
    return body.id;
  }

  /** GET /subjects/<subject>/versions: the version numbers, oldest first. */
  async versions(subject: string): Promise<number[]> {
    return this.#request<number[]>('GET', `/subjects/${encodeURIComponent(subject)}/versions`);
  }

  /** GET /subjects. */
  async subjects(): Promise<string[]> {
    return this.#request<string[]>('GET', '/subjects');
  }

  /**
   * DELETE /subjects/<subject>, then (permanent) ?permanent=true, as Confluent requires a soft delete
   * before a hard one. Returns the versions deleted; a missing subject is not an error.
   */
  async deleteSubject(subject: string, options: { permanent?: boolean } = {}): Promise<number[]> {
    const path = `/subjects/${encodeURIComponent(subject)}`;
    try {
      const deleted = await this.#request<number[]>('DELETE', path);
      if (options.permanent === true) await this.#request<number[]>('DELETE', `${path}?permanent=true`);
      return deleted;
    } catch (error) {
      if (error instanceof SchemaRegistryError && error.code === 'SCHEMA_NOT_FOUND') return [];
      throw error;
    }
  }

  async #request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { Accept: `${CONTENT_TYPE}, application/json` };
    if (body !== undefined) headers['Content-Type'] = CONTENT_TYPE;
    if (this.#authorization !== undefined) headers.Authorization = this.#authorization;
    let response: Response;
    try {
      response = await fetch(`${this.#url}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (cause) {
      throw new SchemaRegistryError('SCHEMA_REGISTRY_UNAVAILABLE', `schema registry at ${this.#url} did not answer ${method} ${path.split('?')[0]}`, {
        cause,
        details: { url: this.#url, method },
      });
    }
    const text = await response.text();
    if (!response.ok) {
      let registryMessage = text.slice(0, 500);
      let errorCode: unknown;
      try {
        const parsed = JSON.parse(text) as { message?: unknown; error_code?: unknown };
        if (typeof parsed.message === 'string') registryMessage = parsed.message;
        errorCode = parsed.error_code;
      } catch {
        // not JSON: keep the text
      }
      throw new SchemaRegistryError(codeForStatus(response.status), `schema registry answered ${response.status} to ${method} ${path.split('?')[0]}: ${registryMessage}`, {
        details: { status: response.status, registryErrorCode: errorCode, method },
      });
    }
    return (text === '' ? undefined : JSON.parse(text)) as T;
  }
}
