/**
 * Avro in the Confluent wire format against the local registry (Apicurio): throughput of Quintet's
 * ConfluentAvroCodec once a schema id is cached (synchronous path), next to the unchanged
 * @kafkajs/confluent-schema-registry client (a Promise per record), on canonical events, one core.
 * Figures: `registry.avro.encode.events_per_s`, `registry.avro.decode.events_per_s`,
 * `registry.avro.decode_old_reader.events_per_s` (a v1 reader resolving records written with v2).
 */
import { randomBytes } from 'node:crypto';
import { connectSchemaRegistry, ConfluentAvroCodec } from '../connectors/schema-registry/index.js';
import { loadConfig } from '../core/config.js';
import { canonicalEventAvroSchema, toAvroRecord } from '../schemas/avro.js';
import { canonicalEnvelope, canonicalV2 } from '../test/integration/registry/canonical-fixtures.js';
import { type BenchSuite, type Figure, summarize } from './figures.js';

/** Runs `step` in batches for `ms` milliseconds; returns operations per second. */
async function rate(ms: number, step: (i: number) => unknown): Promise<number> {
  let done = 0;
  const started = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < 500; i++) {
      const result = step(done + i);
      if (result instanceof Promise) await result;
    }
    done += 500;
    elapsed = performance.now() - started;
  }
  return (done / elapsed) * 1000;
}

export const suite: BenchSuite = {
  name: 'schema-registry',
  needsStack: true,
  async run({ quick }): Promise<Figure[]> {
    const registry = connectSchemaRegistry(loadConfig({ env: process.env }));
    const topic = `bench-registry-${randomBytes(4).toString('hex')}`;
    const subject = `${topic}-value`;
    const runs = quick ? 3 : 5;
    const ms = quick ? 500 : 2000;
    try {
      const v1Id = await registry.registerAvroSchema(subject, canonicalEventAvroSchema(), { compatibility: 'BACKWARD' });
      const v2Id = await registry.registerAvroSchema(subject, canonicalV2(), { compatibility: 'BACKWARD' });
      const records = Array.from({ length: 64 }, () => toAvroRecord(canonicalEnvelope()));
      const codec = new ConfluentAvroCodec(registry, { readerSchema: canonicalEventAvroSchema() });
      await codec.prepare(v1Id);
      await codec.prepare(v2Id);
      const v1Bytes = records.map((r) => codec.encode(v1Id, r) as Buffer);
      const v2Bytes = records.map((r) => codec.encode(v2Id, { ...r, tenant_id: 'tenant-1' }) as Buffer);
      const library = registry.client;

      const samples = { encode: [] as number[], libEncode: [] as number[], decode: [] as number[], libDecode: [] as number[], resolved: [] as number[] };
      for (let run = 0; run < runs; run++) {
        samples.encode.push(await rate(ms, (i) => codec.encode(v1Id, records[i % 64])));
        samples.libEncode.push(await rate(ms, (i) => library.encode(v1Id, records[i % 64])));
        samples.decode.push(await rate(ms, (i) => codec.decode(v1Bytes[i % 64] as Buffer)));
        samples.libDecode.push(await rate(ms, (i) => library.decode(v1Bytes[i % 64] as Buffer)));
        samples.resolved.push(await rate(ms, (i) => codec.decode(v2Bytes[i % 64] as Buffer)));
      }
      const libEncode = summarize('registry.avro.encode.library_events_per_s', 'events/s', samples.libEncode);
      const libDecode = summarize('registry.avro.decode.library_events_per_s', 'events/s', samples.libDecode);
      const encode = summarize('registry.avro.encode.events_per_s', 'events/s', samples.encode, {
        baseline: { name: libEncode.name, value: libEncode.value },
        notes: 'canonical event, Confluent framing, schema id cached',
      });
      const decode = summarize('registry.avro.decode.events_per_s', 'events/s', samples.decode, {
        baseline: { name: libDecode.name, value: libDecode.value },
        notes: 'canonical event, writer schema = reader schema',
      });
      return [
        { ...encode, ratio: encode.value / libEncode.value },
        libEncode,
        { ...decode, ratio: decode.value / libDecode.value },
        libDecode,
        summarize('registry.avro.decode_old_reader.events_per_s', 'events/s', samples.resolved, { notes: 'v2 records read with the v1 schema (Avro resolution)' }),
      ];
    } finally {
      await registry.rest.deleteSubject(subject, { permanent: true });
    }
  },
};
