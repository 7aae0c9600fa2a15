import { MemoryVaultStore } from '../../../connectors/memory/vault-store.js';
import { describeVaultStoreContract } from './vault-store.contract.js';

describeVaultStoreContract('in-memory (embedded mode)', async () => {
  const store = new MemoryVaultStore({ pageSize: 1 });
  return {
    store,
    // Both "processors" share the one in-process store, as in embedded mode.
    another: async () => store,
    dump: async () => store.dump(),
    cleanup: async () => {},
  };
});
