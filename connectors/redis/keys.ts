/**
 * The one module that names Redis keys. Users read some of these keys directly (feeds, notifications),
 * so the layout is a documented contract (README "Redis key layout"). Keys never contain raw PII:
 * they use pseudonyms, entity ids, or keyed hashes of identifiers.
 *
 * Every key starts with a configurable prefix (default `quintet`) so that one Redis can host several
 * deployments and tests can use a random prefix.
 */

export const DEFAULT_KEY_PREFIX = 'quintet';

// ---- PII vault (owned by the vault: processors/pseudonymization, connectors/redis/vault-store.ts) ----

// ---- Feeds, follow graph and notifications (owned by the feeds: processors/feeds, connectors/redis/feed-*.ts) ----

// ---- API keys and rate limits (owned by the HTTP API) ----
