import type { Readable, Writable } from 'node:stream';
import { mongo, type Connection } from 'mongoose';

/** Metadata kept with every stored file. */
export interface StoredFileInfo {
  id: string;
  filename: string;
  contentType: string;
  length: number;
  owner: string;
  uploadedAt: Date;
  /** Set on artifacts: the job that produced it. */
  jobId?: string | undefined;
}

/**
 * A GridFS bucket of owned files: uploads (data sources) and artifacts (job results).
 * GridFS keeps files in chunks, so large CSVs are written and read as streams.
 */
export class FileStore {
  private readonly bucket: mongo.GridFSBucket;
  private readonly files: mongo.Collection;

  constructor(
    conn: Connection,
    readonly bucketName: 'uploads' | 'artifacts',
  ) {
    const db = conn.db;
    if (!db) throw new Error('FileStore needs a connected mongoose connection');
    this.bucket = new mongo.GridFSBucket(db, { bucketName, chunkSizeBytes: 255 * 1024 });
    this.files = db.collection(`${bucketName}.files`);
  }

  /** Opens a write stream; `id` is known before the first byte. */
  openWrite(
    filename: string,
    meta: { contentType: string; owner: string; jobId?: string },
  ): { id: string; stream: Writable } {
    const stream = this.bucket.openUploadStream(filename, {
      metadata: {
        contentType: meta.contentType,
        owner: meta.owner,
        ...(meta.jobId ? { jobId: meta.jobId } : {}),
      },
    });
    return { id: stream.id.toString(), stream };
  }

  /** File info, or null when missing or (with `owner`) owned by someone else. */
  async find(id: string, owner?: string): Promise<StoredFileInfo | null> {
    if (!mongo.ObjectId.isValid(id) || !/^[a-f0-9]{24}$/.test(id)) return null;
    const doc = await this.files.findOne({ _id: new mongo.ObjectId(id) });
    if (!doc) return null;
    const metadata = (doc.metadata ?? {}) as {
      contentType?: string;
      owner?: string;
      jobId?: string;
    };
    if (owner !== undefined && metadata.owner !== owner) return null;
    return {
      id,
      filename: String(doc.filename),
      contentType: metadata.contentType ?? 'application/octet-stream',
      length: Number(doc.length),
      owner: metadata.owner ?? '',
      uploadedAt: doc.uploadDate as Date,
      jobId: metadata.jobId,
    };
  }

  openRead(id: string): Readable {
    return this.bucket.openDownloadStream(new mongo.ObjectId(id));
  }

  /** Deletes a file and its chunks; a missing file is not an error. */
  async delete(id: string): Promise<void> {
    try {
      await this.bucket.delete(new mongo.ObjectId(id));
    } catch (err) {
      if (err instanceof Error && /not found|FileNotFound/i.test(err.message)) return;
      throw err;
    }
  }

  /** Deletes every file produced by one of `jobIds` (retention purge); returns how many. */
  async deleteByJobIds(jobIds: string[]): Promise<number> {
    if (jobIds.length === 0) return 0;
    const docs = await this.files
      .find({ 'metadata.jobId': { $in: jobIds } }, { projection: { _id: 1 } })
      .toArray();
    for (const doc of docs) await this.delete(String(doc._id));
    return docs.length;
  }
}
