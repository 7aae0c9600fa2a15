/**
 * Appends events to the chain of one partition. The chainer itself holds no state: the head (last
 * sequence and hash) lives in a ChainHeadStore that the ingest topology backs with a changelogged
 * key-value store, written in the same Kafka transaction as the chained record. A crash therefore rolls
 * back both or neither: the chain never forks, gaps or repeats.
 *
 * Key rotation: the entry uses the ring's active key id at the time it is chained, so a restart with a
 * new active key switches keys from the next sequence on; the entry records which key it used.
 */
import { deadLetter, ok, type StepResult } from '../../core/result.js';
import { isQuintetError } from '../../core/errors.js';
import type { CanonicalEvent, ChainLink } from '../../schemas/canonical-event.js';
import type { RecordLayout } from './canonical-json.js';
import { chainHash, GENESIS_HASH, type ChainKeyRing } from './chain-hash.js';

export const CHAIN_STAGE = 'chain';

/** The last entry of a chain. */
export interface ChainHead {
  readonly sequence: number;
  readonly hash: string;
  readonly key_id: string;
}

/** Where the topology keeps heads; a Streams KeyValueStore<number, ChainHead> satisfies it. */
export interface ChainHeadStore {
  get(partition: number): ChainHead | undefined;
  put(partition: number, head: ChainHead): void;
}

export class HashChainer {
  readonly #keys: ChainKeyRing;
  readonly #heads: ChainHeadStore;

  constructor(keys: ChainKeyRing, heads: ChainHeadStore) {
    this.#keys = keys;
    this.#heads = heads;
  }

  /**
   * The link of the next entry of `partition` for `event`, advancing the head. `layout` is
   * CANONICAL_WIRE_LAYOUT when `event` comes from canonicalWireForm (the ingest topology), else absent.
   */
  append(partition: number, event: CanonicalEvent, layout?: RecordLayout): StepResult<ChainLink> {
    const head = this.#heads.get(partition);
    const keyId = this.#keys.activeKeyId;
    const sequence = head === undefined ? 0 : head.sequence + 1;
    const previousHash = head === undefined ? GENESIS_HASH : head.hash;
    let hash: string;
    try {
      hash = chainHash(this.#keys.key(keyId) as Buffer, { partition, sequence, keyId, previousHash }, event, layout);
    } catch (error) {
      // An event that cannot be canonicalized (lone surrogate, non-finite number) is bad input, not a crash.
      if (isQuintetError(error) && error.code === 'CHAIN_INPUT_INVALID') return deadLetter(CHAIN_STAGE, 'CHAIN_INPUT_INVALID', error.message);
      throw error;
    }
    this.#heads.put(partition, { sequence, hash, key_id: keyId });
    return ok({ partition, sequence, previous_hash: previousHash, hash, key_id: keyId });
  }

  head(partition: number): ChainHead | undefined {
    return this.#heads.get(partition);
  }
}

/** A plain in-memory head store (tests, offline tools). */
export class MemoryChainHeadStore implements ChainHeadStore {
  readonly #heads = new Map<number, ChainHead>();
  get(partition: number): ChainHead | undefined {
    return this.#heads.get(partition);
  }
  put(partition: number, head: ChainHead): void {
    this.#heads.set(partition, head);
  }
}
