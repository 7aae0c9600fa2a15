/**
 * Bytes of records carved from shared 64 KiB slabs, for serializers on the hot path.
 *
 * `Buffer.from(string)` and `Buffer.allocUnsafe(n)` take small buffers from Node's 8 KiB pool, which a
 * ~1 KiB record (a canonical event) exhausts every few records; each new pool is an ArrayBuffer
 * allocation with its external-memory accounting, and in the ingest profile that cost more than the
 * JSON.stringify of the record. A 64 KiB slab is replaced eight times less often.
 *
 * A slice keeps its whole slab alive: use this for records that are produced and then released (sink
 * outputs, which the producer sends and drops), not for values kept for long (store contents).
 */

const SLAB_BYTES = 64 * 1024;
/** Larger values get a buffer of their own, so one value never wastes most of a slab. */
const MAX_CARVED_BYTES = SLAB_BYTES / 8;

let slab = Buffer.allocUnsafe(0);
let offset = 0;

/** Next slice start on an 8-byte boundary, as Node's own pool does. */
const aligned = (end: number): number => (end + 7) & ~7;

/** The UTF-8 bytes of `text` (the same bytes as `Buffer.from(text, 'utf8')`). */
export function utf8Bytes(text: string): Buffer {
  // A UTF-16 code unit takes at most 3 bytes in UTF-8; only near the limit is the exact length needed.
  if (text.length * 3 > MAX_CARVED_BYTES && Buffer.byteLength(text, 'utf8') > MAX_CARVED_BYTES) return Buffer.from(text, 'utf8');
  if (slab.length - offset < text.length * 3 && slab.length - offset < Buffer.byteLength(text, 'utf8')) newSlab();
  const written = slab.write(text, offset, 'utf8');
  const bytes = slab.subarray(offset, offset + written);
  offset = aligned(offset + written);
  return bytes;
}

/** A copy of `source[start, end)` (the same bytes as `Buffer.from(source.subarray(start, end))`). */
export function copiedBytes(source: Buffer, start: number, end: number): Buffer {
  const length = end - start;
  if (length > MAX_CARVED_BYTES) {
    const own = Buffer.allocUnsafe(length);
    source.copy(own, 0, start, end);
    return own;
  }
  if (slab.length - offset < length) newSlab();
  source.copy(slab, offset, start, end);
  const bytes = slab.subarray(offset, offset + length);
  offset = aligned(offset + length);
  return bytes;
}

function newSlab(): void {
  // allocUnsafeSlow: not from Node's pool (a 64 KiB request would not be pooled anyway).
  slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
  offset = 0;
}
