import { MemoryErasureTombstones, MemoryFollowGraphStore, MemoryInboxStore, MemoryNotificationStore } from '../../../connectors/memory/feed-stores.js';
import { describeFeedsTopology } from './feeds-topology-suite.js';
import { describeLikesTopology } from './likes-topology-suite.js';
import type { FeedStoreFactory } from './store-contract.js';

const memoryStores: FeedStoreFactory = async (options) => ({
  graph: new MemoryFollowGraphStore(options.celebrityThreshold),
  inboxes: new MemoryInboxStore(options.cap),
  notifications: new MemoryNotificationStore(options.notificationCap),
  tombstones: new MemoryErasureTombstones(),
  cleanup: async () => {},
});

describeFeedsTopology('in-memory', memoryStores);
describeLikesTopology('in-memory', memoryStores);
