import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { mongo } from 'mongoose';
import type { CheckContext, StoreCheck } from './check.js';
import { keySignature } from './verdict.js';

const CHUNK_BYTES = 255 * 1024;

/**
 * GridFS round trip, as uploads and artifacts use it: stream random bytes in, read them back,
 * compare SHA-256, length and chunk count, and find the unique chunk index GridFS relies on.
 */
export const gridfsRoundTrip: StoreCheck = {
  name: 'GridFS round trip',
  async run(ctx: CheckContext) {
    const bytes = randomBytes(ctx.options.gridfsBytes);
    const written = createHash('sha256').update(bytes).digest('hex');
    const bucket = new mongo.GridFSBucket(ctx.db, {
      bucketName: 'check',
      chunkSizeBytes: CHUNK_BYTES,
    });
    const upload = bucket.openUploadStream('store-check.bin', {
      metadata: { contentType: 'application/octet-stream' },
    });
    // n.b. 64 KiB pieces: the bucket has to assemble chunks from several writes
    const pieces = function* () {
      for (let at = 0; at < bytes.length; at += 64 * 1024) yield bytes.subarray(at, at + 64 * 1024);
    };
    await pipeline(Readable.from(pieces()), upload);
    const hash = createHash('sha256');
    let readBytes = 0;
    await pipeline(bucket.openDownloadStream(upload.id), async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) {
        hash.update(chunk);
        readBytes += chunk.length;
      }
    });
    const read = hash.digest('hex');
    const fileDoc = await ctx.db.collection('check.files').findOne({ _id: upload.id });
    const chunks = await ctx.db.collection('check.chunks').countDocuments({ files_id: upload.id });
    const expectedChunks = Math.ceil(bytes.length / CHUNK_BYTES);
    const chunkIndex = (await ctx.db.collection('check.chunks').listIndexes().toArray()).find(
      (s) => keySignature(s['key'] as Record<string, unknown>) === 'files_id:1,n:1',
    );
    await bucket.delete(upload.id);
    const left = await ctx.db.collection('check.chunks').countDocuments({ files_id: upload.id });
    const ok =
      read === written &&
      readBytes === bytes.length &&
      fileDoc?.['length'] === bytes.length &&
      chunks === expectedChunks &&
      chunkIndex?.['unique'] === true &&
      left === 0;
    return {
      ok,
      detail:
        `${bytes.length} bytes in ${chunks} chunks (expected ${expectedChunks}), read back ${readBytes}, ` +
        `sha256 ${read === written ? 'matches' : `differs (${read.slice(0, 12)} != ${written.slice(0, 12)})`}, ` +
        `chunk index {files_id, n} ${chunkIndex ? (chunkIndex['unique'] === true ? 'unique' : 'not unique') : 'missing'}, ` +
        `${left} chunks left after delete`,
    };
  },
};
