/**
 * Verifies hash chains record by record (streaming: memory grows with partitions, not with the log) and
 * reports, per partition, either "intact" or the FIRST break and its kind:
 *
 * - `modified`   an entry's hash does not match its content (or a checkpointed hash differs);
 * - `inserted`   an entry that does not belong: a forged entry followed by the genuine one at the same
 *                sequence, or a copy of an entry already seen;
 * - `deleted`    entries are missing (a gap in sequences that is never filled);
 * - `reordered`  a gap that is filled later: genuine entries in the wrong order;
 * - `forked`     a genuine entry that does not link to its predecessor (two writers on one chain);
 * - `truncated`  the chain ends before a signed checkpoint says it had reached;
 * - `unknown_key` an entry names a key id the verifier does not have;
 * - `unchained`  an entry carries no chain link;
 * - `checkpoint_invalid` a checkpoint's signature does not verify (it is then ignored).
 *
 * Lines that are not records at all are reported as `malformed` (partition unknown).
 */
import type { KeyObject } from 'node:crypto';
import type { CanonicalEvent, ChainLink } from '../../schemas/canonical-event.js';
import { chainHash, GENESIS_HASH, type ChainKeyRing } from './chain-hash.js';
import { verifyCheckpoint, type ChainCheckpoint } from './checkpoint.js';

export type BreakKind =
  | 'modified'
  | 'inserted'
  | 'deleted'
  | 'reordered'
  | 'forked'
  | 'truncated'
  | 'unknown_key'
  | 'unchained'
  | 'checkpoint_invalid'
  | 'malformed';

export interface ChainBreak {
  readonly kind: BreakKind;
  /** Undefined only for `malformed` lines. */
  readonly partition: number | undefined;
  /** The sequence where the chain stops being trustworthy. */
  readonly sequence: number | undefined;
  /** Offset of the record where the break was seen (absent for truncation). */
  readonly offset: string | undefined;
  /** 1-based position in the input (line number of an export file). */
  readonly position: number | undefined;
  readonly detail: string;
}

export interface VerifiedRecord {
  readonly partition: number;
  readonly offset: string;
  readonly event: CanonicalEvent;
  readonly chain: ChainLink | null | undefined;
}

export interface PartitionReport {
  readonly partition: number;
  readonly records: number;
  /** Last sequence verified in order, -1 if none. */
  readonly verified_through: number;
  readonly head_hash: string | undefined;
  readonly first_offset: string | undefined;
  readonly last_offset: string | undefined;
  /** Highest validly signed checkpoint sequence, if any: tail truncation was checked against it. */
  readonly checkpoint_sequence: number | undefined;
  readonly intact: boolean;
  readonly break: ChainBreak | undefined;
}

export interface VerificationReport {
  readonly intact: boolean;
  readonly records: number;
  readonly partitions: readonly PartitionReport[];
  /** Every break, first per partition, in partition order (malformed lines first). */
  readonly breaks: readonly ChainBreak[];
  /** Whether signed checkpoints were available, i.e. whether tail truncation could be detected. */
  readonly truncation_checked: boolean;
  readonly checkpoints: { readonly valid: number; readonly invalid: number };
}

/** Gaps larger than this are not tracked entry by entry (they are reported as deletions). */
const MAX_TRACKED_GAP = 100_000;

interface Pending {
  kind: 'suspect' | 'gap';
  breakAt: ChainBreak;
  /** suspect: the sequence and previous hash a genuine entry would carry next. */
  expectedSequence: number;
  expectedPrevious: string;
  /** gap: the missing sequences. */
  missing?: Set<number>;
}

interface PartitionState {
  records: number;
  expectedSequence: number;
  previousHash: string;
  firstOffset: string | undefined;
  lastOffset: string | undefined;
  /** Hashes of verified entries at checkpointed sequences (for the checkpoint comparison). */
  hashesAt: Map<number, string>;
  /** Every verified hash → sequence, to recognise copies (bounded by MAX_TRACKED_GAP). */
  seen: Map<string, number>;
  pending: Pending | undefined;
  broken: ChainBreak | undefined;
}

export class ChainVerifier {
  readonly #keys: ChainKeyRing;
  readonly #partitions = new Map<number, PartitionState>();
  readonly #malformed: ChainBreak[] = [];
  readonly #checkpoints = new Map<number, ChainCheckpoint>();
  readonly #checkpointBreaks: ChainBreak[] = [];
  #validCheckpoints = 0;
  #position = 0;
  #records = 0;

  /**
   * @param checkpoints signed checkpoints (from the checkpoints topic), verified with `checkpointKeys`.
   */
  constructor(keys: ChainKeyRing, checkpoints: readonly ChainCheckpoint[] = [], checkpointKeys: readonly KeyObject[] = []) {
    this.#keys = keys;
    for (const checkpoint of checkpoints) {
      if (!verifyCheckpoint(checkpoint, checkpointKeys)) {
        this.#checkpointBreaks.push({
          kind: 'checkpoint_invalid',
          partition: checkpoint.partition,
          sequence: checkpoint.sequence,
          offset: undefined,
          position: undefined,
          detail: 'checkpoint signature does not verify with the given public key(s); checkpoint ignored',
        });
        continue;
      }
      this.#validCheckpoints += 1;
      const current = this.#checkpoints.get(checkpoint.partition);
      if (current === undefined || checkpoint.sequence > current.sequence) this.#checkpoints.set(checkpoint.partition, checkpoint);
    }
  }

  /** A line that could not be parsed as a record. */
  malformed(detail: string): void {
    this.#position += 1;
    this.#malformed.push({ kind: 'malformed', partition: undefined, sequence: undefined, offset: undefined, position: this.#position, detail });
  }

  add(record: VerifiedRecord): void {
    this.#position += 1;
    this.#records += 1;
    const state = this.#state(record.partition);
    state.records += 1;
    state.firstOffset ??= record.offset;
    state.lastOffset = record.offset;
    if (state.broken !== undefined) return;

    const at = (kind: BreakKind, sequence: number | undefined, detail: string): ChainBreak => ({
      kind,
      partition: record.partition,
      sequence,
      offset: record.offset,
      position: this.#position,
      detail,
    });

    const link = record.chain;
    if (link === null || link === undefined) {
      this.#settle(state, at('unchained', state.expectedSequence, 'record carries no chain link'));
      return;
    }
    const key = this.#keys.key(link.key_id);
    if (key === undefined) {
      this.#settle(state, at('unknown_key', link.sequence, `chain key id ${JSON.stringify(link.key_id)} is not in the verifier's key ring`));
      return;
    }
    const genuine = this.#genuine(key, record.partition, link, record.event);

    const pending = state.pending;
    if (pending !== undefined) {
      if (pending.kind === 'suspect') {
        // A forged entry is "inserted" when the genuine chain simply continues after it.
        const continues = genuine && link.sequence === pending.expectedSequence && link.previous_hash === pending.expectedPrevious;
        state.broken = { ...pending.breakAt, kind: continues ? 'inserted' : 'modified' };
        state.pending = undefined;
      } else if (genuine && pending.missing?.has(link.sequence) === true) {
        state.broken = { ...pending.breakAt, kind: 'reordered', detail: `sequence ${link.sequence} appears after later entries` };
        state.pending = undefined;
      }
      return;
    }

    if (!genuine) {
      // Either this entry was modified, or it was inserted; the next record tells which.
      state.pending = {
        kind: 'suspect',
        breakAt: at('modified', state.expectedSequence, 'hash does not match the entry (content, sequence, partition, key id or previous hash changed)'),
        expectedSequence: state.expectedSequence,
        expectedPrevious: state.previousHash,
      };
      return;
    }
    if (link.sequence === state.expectedSequence) {
      if (link.previous_hash !== state.previousHash) {
        this.#settle(state, at('forked', link.sequence, 'genuine entry does not link to the previous entry (two writers on one chain?)'));
        return;
      }
      this.#accept(state, link);
      return;
    }
    if (link.sequence > state.expectedSequence) {
      const gap = link.sequence - state.expectedSequence;
      const missing = new Set<number>();
      if (gap <= MAX_TRACKED_GAP) for (let s = state.expectedSequence; s < link.sequence; s += 1) missing.add(s);
      state.pending = {
        kind: 'gap',
        breakAt: at('deleted', state.expectedSequence, `sequences ${state.expectedSequence}..${link.sequence - 1} are missing`),
        expectedSequence: state.expectedSequence,
        expectedPrevious: state.previousHash,
        missing,
      };
      return;
    }
    // A genuine entry with a sequence already passed.
    const copyOf = state.seen.get(link.hash);
    this.#settle(
      state,
      copyOf !== undefined
        ? at('inserted', link.sequence, `copy of sequence ${copyOf} inserted again`)
        : at('reordered', link.sequence, `sequence ${link.sequence} appears after sequence ${state.expectedSequence - 1}`),
    );
  }

  /** Closes open questions and compares every chain with its latest signed checkpoint. */
  report(): VerificationReport {
    for (const partition of this.#checkpoints.keys()) this.#state(partition);
    const partitions: PartitionReport[] = [];
    for (const [partition, state] of [...this.#partitions].sort(([a], [b]) => a - b)) {
      if (state.pending !== undefined) {
        // A suspect at the very end was modified; a gap never filled is a deletion.
        state.broken = state.pending.breakAt;
        state.pending = undefined;
      }
      const checkpoint = this.#checkpoints.get(partition);
      if (state.broken === undefined && checkpoint !== undefined) {
        const reached = state.expectedSequence - 1;
        if (reached < checkpoint.sequence) {
          state.broken = {
            kind: 'truncated',
            partition,
            sequence: reached + 1,
            offset: undefined,
            position: undefined,
            detail: `chain ends at sequence ${reached} but a checkpoint signed at ${checkpoint.time} records sequence ${checkpoint.sequence}`,
          };
        } else if (state.hashesAt.get(checkpoint.sequence) !== checkpoint.hash) {
          state.broken = {
            kind: 'modified',
            partition,
            sequence: checkpoint.sequence,
            offset: undefined,
            position: undefined,
            detail: `entry ${checkpoint.sequence} differs from the signed checkpoint (chain rewritten)`,
          };
        }
      }
      partitions.push({
        partition,
        records: state.records,
        verified_through: state.expectedSequence - 1,
        head_hash: state.expectedSequence > 0 ? state.previousHash : undefined,
        first_offset: state.firstOffset,
        last_offset: state.lastOffset,
        checkpoint_sequence: checkpoint?.sequence,
        intact: state.broken === undefined,
        break: state.broken,
      });
    }
    const breaks = [...this.#malformed, ...this.#checkpointBreaks, ...partitions.flatMap((p) => (p.break === undefined ? [] : [p.break]))];
    return {
      intact: breaks.length === 0,
      records: this.#records,
      partitions,
      breaks,
      truncation_checked: this.#validCheckpoints > 0,
      checkpoints: { valid: this.#validCheckpoints, invalid: this.#checkpointBreaks.length },
    };
  }

  #state(partition: number): PartitionState {
    let state = this.#partitions.get(partition);
    if (state === undefined) {
      const checkpoint = this.#checkpoints.get(partition);
      state = {
        records: 0,
        expectedSequence: 0,
        previousHash: GENESIS_HASH,
        firstOffset: undefined,
        lastOffset: undefined,
        hashesAt: new Map(checkpoint === undefined ? [] : [[checkpoint.sequence, '']]),
        seen: new Map(),
        pending: undefined,
        broken: undefined,
      };
      this.#partitions.set(partition, state);
    }
    return state;
  }

  #genuine(key: Buffer, partition: number, link: ChainLink, event: CanonicalEvent): boolean {
    try {
      return (
        link.partition === partition &&
        chainHash(key, { partition, sequence: link.sequence, keyId: link.key_id, previousHash: link.previous_hash }, event) === link.hash
      );
    } catch {
      // Malformed fields (bad hex, negative sequence, non-canonicalizable event) are not genuine.
      return false;
    }
  }

  #accept(state: PartitionState, link: ChainLink): void {
    if (state.hashesAt.has(link.sequence)) state.hashesAt.set(link.sequence, link.hash);
    if (state.seen.size < MAX_TRACKED_GAP) state.seen.set(link.hash, link.sequence);
    state.expectedSequence = link.sequence + 1;
    state.previousHash = link.hash;
  }

  #settle(state: PartitionState, chainBreak: ChainBreak): void {
    state.broken = chainBreak;
    state.pending = undefined;
  }
}
