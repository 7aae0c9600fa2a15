/**
 * Whether a kafkajs failure is worth retrying: kafkajs marks protocol errors such as
 * COORDINATOR_LOAD_IN_PROGRESS (a broker that has just started loads its coordinators for a few
 * seconds) or UNKNOWN_TOPIC_OR_PARTITION right after a topic was created as `retriable`, but often
 * wraps them (`KafkaJSNumberOfRetriesExceeded`, `KafkaJSNonRetriableError`) after its own short retries.
 */
export function isRetriableKafkaError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== null && typeof current === 'object'; depth += 1) {
    const candidate = current as { retriable?: unknown; cause?: unknown; originalError?: unknown };
    if (candidate.retriable === true) return true;
    current = candidate.originalError ?? candidate.cause;
  }
  return false;
}

/** Runs `operation` again on retriable kafkajs errors, with doubling delays, until `timeoutMs` has passed. */
export async function retryWhileRetriable<T>(operation: () => Promise<T>, options: { readonly timeoutMs: number; readonly initialDelayMs?: number; readonly maxDelayMs?: number }): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (let delay = options.initialDelayMs ?? 50; ; delay = Math.min(delay * 2, options.maxDelayMs ?? 1_000)) {
    try {
      return await operation();
    } catch (error) {
      if (!isRetriableKafkaError(error) || Date.now() + delay > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
