/**
 * The HTTP API's backends on the embedded pipeline (`quintet demo --serve`): ingest into the pipeline,
 * feeds and notifications from the in-memory stores, dashboards on DuckDB, erasure through the ingest
 * topology, and the pipeline's own metrics on /metrics.
 */
import { dashboardBackend, erasureBackend, feedBackend, ingestBackend } from '../api/backends.js';
import type { ApiServerOptions } from '../api/server.js';
import { CanonicalTranslator } from '../processors/adapters/translator.js';
import type { EmbeddedPipeline } from './pipeline.js';

export function embeddedApiBackends(pipeline: EmbeddedPipeline): Pick<ApiServerOptions, 'ingest' | 'feeds' | 'dashboards' | 'erasure' | 'metrics' | 'maxBodyBytes'> {
  return {
    ingest: ingestBackend(new CanonicalTranslator({ limits: pipeline.config.limits }), (records) => pipeline.ingest(records)),
    feeds: feedBackend(pipeline.vault, pipeline.feedReader),
    dashboards: dashboardBackend(pipeline.dashboards),
    erasure: erasureBackend(async (subject) => {
      await pipeline.erase(subject);
      return { erased: true };
    }),
    metrics: pipeline.metrics,
    maxBodyBytes: pipeline.config.http.maxBodyBytes,
  };
}
