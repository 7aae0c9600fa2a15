/**
 * Window definitions (Kafka Streams' TimeWindows and SessionWindows) and the Windowed key they produce.
 *
 * Time windows are [start, end) with end = start + size, aligned to the epoch; tumbling when the
 * advance equals the size, hopping when it is smaller. A window closes when stream time reaches
 * end + grace: from then on a record for it is late, dropped and counted, and `suppress(untilWindowCloses)`
 * emits its final result.
 *
 * Session windows [start, end] span records of one key separated by less than the inactivity gap
 * (end inclusive: the last record's time). A record is late when its merged session ends before
 * streamTime - grace; a session can no longer change once streamTime > end + gap + grace, which is
 * when it is final.
 */
import type { Headers } from './processor.js';
import { isThenable, readInt64BE, writeInt64BE, type Serde, type SyncSerde } from './serdes.js';

export interface Window {
  readonly start: number;
  readonly end: number;
}

export interface Windowed<K> {
  readonly key: K;
  readonly window: Window;
}

export class TimeWindows {
  private constructor(
    readonly sizeMs: number,
    readonly advanceMs: number,
    readonly graceMs: number,
  ) {
    for (const [name, value, min] of [
      ['size', sizeMs, 1],
      ['advance', advanceMs, 1],
      ['grace', graceMs, 0],
    ] as const) {
      if (!Number.isSafeInteger(value) || value < min) throw new RangeError(`window ${name} must be an integer >= ${min} ms, got ${value}`);
    }
    if (advanceMs > sizeMs) throw new RangeError(`window advance (${advanceMs}) cannot exceed its size (${sizeMs})`);
  }

  /** Tumbling windows of `sizeMs` that accept records up to `graceMs` late. */
  static ofSizeAndGrace(sizeMs: number, graceMs: number): TimeWindows {
    return new TimeWindows(sizeMs, sizeMs, graceMs);
  }

  /** Alias of `ofSizeAndGrace`. */
  static ofSizeWithGrace(sizeMs: number, graceMs: number): TimeWindows {
    return new TimeWindows(sizeMs, sizeMs, graceMs);
  }

  static ofSizeWithNoGrace(sizeMs: number): TimeWindows {
    return new TimeWindows(sizeMs, sizeMs, 0);
  }

  /** Hopping windows: a new window every `advanceMs`. */
  advanceBy(advanceMs: number): TimeWindows {
    return new TimeWindows(this.sizeMs, advanceMs, this.graceMs);
  }

  get tumbling(): boolean {
    return this.advanceMs === this.sizeMs;
  }

  /** Starts of every window containing `timestamp`, ascending. */
  windowStartsFor(timestamp: number): number[] {
    if (this.tumbling) return [timestamp - (timestamp % this.sizeMs)];
    let start = Math.max(0, timestamp - this.sizeMs + this.advanceMs);
    start -= start % this.advanceMs;
    const starts: number[] = [];
    for (; start <= timestamp; start += this.advanceMs) starts.push(start);
    return starts;
  }

  /** Stream time from which the window is closed (late records dropped, final result emitted). */
  closesAt(window: Window): number {
    return window.end + this.graceMs;
  }

  /** How long a window store must keep windows. */
  get retentionMs(): number {
    return this.sizeMs + this.graceMs;
  }

  toString(): string {
    return `TimeWindows(size=${this.sizeMs}ms, advance=${this.advanceMs}ms, grace=${this.graceMs}ms)`;
  }
}

export class SessionWindows {
  private constructor(
    readonly gapMs: number,
    readonly graceMs: number,
  ) {
    if (!Number.isSafeInteger(gapMs) || gapMs < 1) throw new RangeError(`inactivity gap must be an integer >= 1 ms, got ${gapMs}`);
    if (!Number.isSafeInteger(graceMs) || graceMs < 0) throw new RangeError(`grace must be an integer >= 0 ms, got ${graceMs}`);
  }

  static ofInactivityGapAndGrace(gapMs: number, graceMs: number): SessionWindows {
    return new SessionWindows(gapMs, graceMs);
  }

  static ofInactivityGapWithNoGrace(gapMs: number): SessionWindows {
    return new SessionWindows(gapMs, 0);
  }

  /** Stream time from which the session can no longer change. */
  closesAt(window: Window): number {
    return window.end + this.gapMs + this.graceMs + 1;
  }

  get retentionMs(): number {
    return this.gapMs + this.graceMs + 1;
  }

  toString(): string {
    return `SessionWindows(gap=${this.gapMs}ms, grace=${this.graceMs}ms)`;
  }
}

const NO_HEADERS: Headers = Object.freeze({});

/**
 * Serdes for windowed keys. `timeWindowed(inner)` is binary: inner key bytes + start + end as int64
 * big-endian (Kafka writes key + start; the end is added so session and hopping keys round-trip
 * without knowing the window size). `json(inner?)` writes `{"key":...,"start":...,"end":...}`.
 */
export const WindowedSerdes = {
  timeWindowed<K>(inner: Serde<K>): Serde<Windowed<K>> {
    const encode = (bytes: Buffer | null, data: Windowed<K>): Buffer => {
      const keyBytes = bytes ?? Buffer.alloc(0);
      const out = Buffer.allocUnsafe(keyBytes.length + 16);
      keyBytes.copy(out, 0);
      writeInt64BE(out, data.window.start, keyBytes.length);
      writeInt64BE(out, data.window.end, keyBytes.length + 8);
      return out;
    };
    const decode = (data: Buffer): { keyBytes: Buffer; window: Window } => {
      const split = data.length - 16;
      return { keyBytes: data.subarray(0, split), window: { start: readInt64BE(data, split), end: readInt64BE(data, split + 8) } };
    };
    return {
      name: `windowed(${inner.name})`,
      serialize(topic, data, headers) {
        if (data === null || data === undefined) return null;
        const bytes = inner.serialize(topic, data.key, headers);
        return isThenable(bytes) ? Promise.resolve(bytes).then((b) => encode(b, data)) : encode(bytes, data);
      },
      deserialize(topic, data, headers) {
        if (data === null) return null as unknown as Windowed<K>;
        const { keyBytes, window } = decode(data);
        const key = inner.deserialize(topic, keyBytes, headers ?? NO_HEADERS);
        return isThenable(key) ? Promise.resolve(key).then((k) => ({ key: k, window })) : { key, window };
      },
    };
  },

  json<K>(): SyncSerde<Windowed<K>> {
    return {
      name: 'windowed(json)',
      serialize: (_topic, data) => (data === null || data === undefined ? null : Buffer.from(JSON.stringify({ key: data.key, start: data.window.start, end: data.window.end }))),
      deserialize: (_topic, data) => {
        if (data === null) return null as unknown as Windowed<K>;
        const parsed = JSON.parse(data.toString('utf8')) as { key: K; start: number; end: number };
        return { key: parsed.key, window: { start: parsed.start, end: parsed.end } };
      },
    };
  },
} as const;

/** `suppress(Suppressed.untilWindowCloses())`: emit only the final result of each window. */
export interface Suppressed {
  readonly kind: 'until-window-closes';
  readonly name: string | undefined;
}

export const Suppressed = {
  untilWindowCloses(options: { name?: string } = {}): Suppressed {
    return { kind: 'until-window-closes', name: options.name };
  },
} as const;
