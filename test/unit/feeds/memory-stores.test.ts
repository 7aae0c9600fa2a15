import {
  MemoryErasureTombstones,
  MemoryFollowGraphStore,
  MemoryInboxStore,
  MemoryNotificationStore,
} from '../../../connectors/memory/feed-stores.js';
import { describeFeedStoreContract } from './store-contract.js';

describeFeedStoreContract('in-memory', async (options) => ({
  graph: new MemoryFollowGraphStore(options.celebrityThreshold),
  inboxes: new MemoryInboxStore(options.cap),
  notifications: new MemoryNotificationStore(options.notificationCap),
  tombstones: new MemoryErasureTombstones(),
  cleanup: async () => {},
}));
