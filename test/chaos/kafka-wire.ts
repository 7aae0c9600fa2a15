/**
 * Two Kafka requests the chaos run needs at a few milliseconds' cadence, spoken directly over one kept
 * TCP connection to the (single) broker of the private stack:
 *
 * - ListOffsets v2 with isolation READ_UNCOMMITTED: the high watermark of each partition, which counts
 *   the records of open transactions. kafkajs' admin always asks READ_COMMITTED (the last stable offset),
 *   where an exactly-once task's output would only appear together with its committed offsets.
 * - OffsetFetch v2: a consumer group's committed offsets (transactional offsets only once committed).
 *
 * Single-broker stacks only (the broker is leader and group coordinator of everything). A broken
 * connection (the broker restarts during the run) rejects what is pending; the next request reconnects.
 */
import net from 'node:net';

const CLIENT_ID = Buffer.from('quintet-chaos-window');
const API_LIST_OFFSETS = 2;
const API_OFFSET_FETCH = 9;
const READ_UNCOMMITTED = 0;
const LATEST = -1n;

/** topic → partition → offset */
export type PartitionOffsets = Map<string, Map<number, bigint>>;

function string16(value: string): Buffer {
  const bytes = Buffer.from(value);
  const length = Buffer.alloc(2);
  length.writeInt16BE(bytes.length, 0);
  return Buffer.concat([length, bytes]);
}

function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32BE(value, 0);
  return buffer;
}

class Reader {
  #at = 0;
  constructor(readonly buffer: Buffer) {}
  /** Moves past `size` bytes and says where they start. */
  #advance(size: number): number {
    const at = this.#at;
    this.#at += size;
    return at;
  }
  int16(): number {
    return this.buffer.readInt16BE(this.#advance(2));
  }
  int32(): number {
    return this.buffer.readInt32BE(this.#advance(4));
  }
  int64(): bigint {
    return this.buffer.readBigInt64BE(this.#advance(8));
  }
  /** Nullable string (length -1 = null). */
  string(): string | null {
    const length = this.int16();
    if (length < 0) return null;
    const at = this.#advance(length);
    return this.buffer.toString('utf8', at, at + length);
  }
}

/** Reads `[topic [partition …]]`, the layout both responses share; `entry` reads the rest of a partition's fields. */
function readPartitionOffsets(reader: Reader, entry: (topic: string, partition: number) => bigint | undefined): PartitionOffsets {
  const result: PartitionOffsets = new Map();
  for (let t = reader.int32(); t > 0; t -= 1) {
    const topic = reader.string() ?? '';
    const offsets = new Map<number, bigint>();
    for (let p = reader.int32(); p > 0; p -= 1) {
      const partition = reader.int32();
      const offset = entry(topic, partition);
      if (offset !== undefined) offsets.set(partition, offset);
    }
    result.set(topic, offsets);
  }
  return result;
}

export class KafkaWireError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class KafkaWire {
  readonly #host: string;
  readonly #port: number;
  #socket: net.Socket | undefined;
  #connecting: Promise<net.Socket> | undefined;
  #buffered: Buffer = Buffer.alloc(0);
  #correlation = 0;
  readonly #pending = new Map<number, { resolve: (body: Reader) => void; reject: (error: Error) => void }>();

  constructor(host: string, port: number) {
    this.#host = host;
    this.#port = port;
  }

  async #connect(): Promise<net.Socket> {
    if (this.#socket !== undefined) return this.#socket;
    this.#connecting ??= new Promise<net.Socket>((resolve, reject) => {
      const socket = net.connect({ host: this.#host, port: this.#port });
      socket.setNoDelay(true);
      socket.once('connect', () => {
        this.#socket = socket;
        this.#connecting = undefined;
        resolve(socket);
      });
      socket.on('data', (chunk: Buffer) => this.#onData(chunk));
      const broken = (error?: Error): void => {
        if (this.#socket === socket) this.#socket = undefined;
        this.#connecting = undefined;
        this.#buffered = Buffer.alloc(0);
        const failure = new KafkaWireError('KAFKA_WIRE_DISCONNECTED', `connection to ${this.#host}:${this.#port} lost: ${error?.message ?? 'closed'}`);
        for (const waiter of this.#pending.values()) waiter.reject(failure);
        this.#pending.clear();
        reject(failure);
        socket.destroy();
      };
      socket.once('error', broken);
      socket.once('close', () => broken());
    });
    return this.#connecting;
  }

  #onData(chunk: Buffer): void {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    while (this.#buffered.length >= 4 && this.#buffered.length >= 4 + this.#buffered.readInt32BE(0)) {
      const size = this.#buffered.readInt32BE(0);
      const response = new Reader(this.#buffered.subarray(4, 4 + size));
      this.#buffered = this.#buffered.subarray(4 + size);
      const correlation = response.int32();
      const waiter = this.#pending.get(correlation);
      this.#pending.delete(correlation);
      waiter?.resolve(response);
    }
  }

  async #request(apiKey: number, apiVersion: number, body: Buffer, timeoutMs = 5_000): Promise<Reader> {
    const socket = await this.#connect();
    this.#correlation = (this.#correlation + 1) & 0x7fffffff;
    const correlation = this.#correlation;
    const header = Buffer.alloc(8);
    header.writeInt16BE(apiKey, 0);
    header.writeInt16BE(apiVersion, 2);
    header.writeInt32BE(correlation, 4);
    const payload = Buffer.concat([header, string16(CLIENT_ID.toString()), body]);
    return new Promise<Reader>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(correlation);
        reject(new KafkaWireError('KAFKA_WIRE_TIMEOUT', `request ${apiKey} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(correlation, {
        resolve: (reader) => (clearTimeout(timer), resolve(reader)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      socket.write(Buffer.concat([int32(payload.length), payload]));
    });
  }

  /** High watermarks (open transactions included) of every given partition. */
  async highWatermarks(partitions: ReadonlyMap<string, readonly number[]>): Promise<PartitionOffsets> {
    const topics: Buffer[] = [];
    for (const [topic, list] of partitions) {
      const entries = list.map((partition) => {
        const entry = Buffer.alloc(12);
        entry.writeInt32BE(partition, 0);
        entry.writeBigInt64BE(LATEST, 4);
        return entry;
      });
      topics.push(string16(topic), int32(list.length), ...entries);
    }
    const body = Buffer.concat([int32(-1), Buffer.from([READ_UNCOMMITTED]), int32(partitions.size), ...topics]);
    const reader = await this.#request(API_LIST_OFFSETS, 2, body);
    reader.int32(); // throttle time
    return readPartitionOffsets(reader, (topic, partition) => {
      const error = reader.int16();
      reader.int64(); // timestamp
      const offset = reader.int64();
      if (error !== 0) throw new KafkaWireError('KAFKA_WIRE_LIST_OFFSETS', `ListOffsets ${topic}/${partition}: error ${error}`);
      return offset;
    });
  }

  /** Committed offsets of a consumer group over all its topics (partitions without a commit left out). */
  async committedOffsets(groupId: string): Promise<PartitionOffsets> {
    const body = Buffer.concat([string16(groupId), int32(-1)]);
    const reader = await this.#request(API_OFFSET_FETCH, 2, body); // v2 has no throttle time (v3+)
    const result = readPartitionOffsets(reader, () => {
      const offset = reader.int64();
      reader.string(); // metadata
      const error = reader.int16();
      return error === 0 && offset >= 0n ? offset : undefined;
    });
    const error = reader.int16();
    // COORDINATOR_LOAD_IN_PROGRESS (14) and NOT_COORDINATOR (16) right after a broker restart: retriable.
    if (error !== 0) throw new KafkaWireError('KAFKA_WIRE_OFFSET_FETCH', `OffsetFetch ${groupId}: error ${error}`);
    return result;
  }

  close(): void {
    this.#socket?.destroy();
    this.#socket = undefined;
  }
}

export function sameOffsets(a: PartitionOffsets, b: PartitionOffsets): boolean {
  if (a.size !== b.size) return false;
  for (const [topic, partitions] of a) {
    const other = b.get(topic);
    if (other === undefined || other.size !== partitions.size) return false;
    for (const [partition, offset] of partitions) if (other.get(partition) !== offset) return false;
  }
  return true;
}

export function totalOffset(offsets: PartitionOffsets): bigint {
  let sum = 0n;
  for (const partitions of offsets.values()) for (const offset of partitions.values()) sum += offset;
  return sum;
}
