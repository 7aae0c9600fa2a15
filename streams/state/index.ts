export * from './store.js';
export * from './key-value-store.js';
export * from './window-store.js';
export * from './session-store.js';

import { keyValueStoreBuilder } from './key-value-store.js';
import { sessionStoreBuilder } from './session-store.js';
import { windowStoreBuilder } from './window-store.js';

/** Store builders for `StreamsBuilder.addStateStore` and `process(..., { stores })`, like Kafka's `Stores`. */
export const Stores = {
  keyValueStore: keyValueStoreBuilder,
  windowStore: windowStoreBuilder,
  sessionStore: sessionStoreBuilder,
} as const;
