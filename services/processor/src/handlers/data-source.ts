import { pipeline, Transform } from 'node:stream';
import type { DataProcessPayload, InputFormat } from '@conveyor/contracts';
import { PermanentJobError, type FileStore, type StoredFileInfo } from '@conveyor/jobs';
import { readRecords } from '../data/read.js';
import type { DataRecord } from '../data/record.js';

/** Where a `data.process` job reads its records from. */
export type DataSource = DataProcessPayload['source'];

/** An opened source: its records, how far reading got, and how to let go of it. */
export interface OpenedSource {
  readonly records: AsyncIterable<DataRecord>;
  /** Records read so far. */
  readonly recordsRead: () => number;
  /** Releases the underlying stream; safe to call more than once. */
  readonly close: () => void;
}

const EXTENSIONS: Readonly<Record<string, InputFormat>> = {
  csv: 'csv',
  json: 'json',
  ndjson: 'ndjson',
  jsonl: 'ndjson',
};
const CONTENT_TYPES: Readonly<Record<string, InputFormat>> = {
  'text/csv': 'csv',
  'application/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'ndjson',
  'application/ndjson': 'ndjson',
  'application/jsonl': 'ndjson',
  'application/x-jsonlines': 'ndjson',
};

/**
 * The input format of an upload: from its file name's extension (`.csv`, `.json`, `.ndjson`,
 * `.jsonl`), else its content type, else `null`.
 */
export function detectFormat(
  file: Pick<StoredFileInfo, 'filename' | 'contentType'>,
): InputFormat | null {
  const ext = /\.([A-Za-z0-9]+)$/.exec(file.filename)?.[1]?.toLowerCase();
  if (ext !== undefined && Object.hasOwn(EXTENSIONS, ext)) return EXTENSIONS[ext] as InputFormat;
  const type = file.contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  return Object.hasOwn(CONTENT_TYPES, type) ? (CONTENT_TYPES[type] as InputFormat) : null;
}

/** Options of {@link openSource}. */
export interface OpenSourceOptions {
  uploads: FileStore;
  /** Where `{artifactId}` sources are read from (earlier jobs' results). */
  artifacts: FileStore;
  /** Only this owner's uploads and artifacts can be read. */
  owner: string;
  /** Called as reading advances, with a fraction in [0, 1] and the records read so far. */
  onProgress: (fraction: number, recordsRead: number) => void;
}

/**
 * Opens a job's source for reading: its inline records, or the owner's upload (or an earlier
 * job's artifact) streamed from its store (progress = bytes read / file length). A missing
 * file or another owner's is a `PermanentJobError` `UPLOAD_NOT_FOUND` / `ARTIFACT_NOT_FOUND`;
 * a file whose format is neither given nor detectable is `UNKNOWN_FORMAT`.
 */
export async function openSource(
  source: DataSource,
  options: OpenSourceOptions,
): Promise<OpenedSource> {
  let read = 0;
  if ('records' in source) {
    const total = source.records.length;
    const records = async function* (): AsyncGenerator<DataRecord> {
      for (const record of source.records) {
        read++;
        options.onProgress(read / total, read);
        yield record;
      }
    };
    return { records: records(), recordsRead: () => read, close: () => undefined };
  }
  const fromArtifact = 'artifactId' in source;
  const store = fromArtifact ? options.artifacts : options.uploads;
  const fileId = fromArtifact ? source.artifactId : source.uploadId;
  const what = fromArtifact ? 'artifact' : 'upload';
  const file = await store.find(fileId, options.owner);
  if (!file)
    throw new PermanentJobError(
      `${what} ${fileId} not found`,
      fromArtifact ? 'ARTIFACT_NOT_FOUND' : 'UPLOAD_NOT_FOUND',
    );
  const format = source.format ?? detectFormat(file);
  if (!format) {
    throw new PermanentJobError(
      `cannot tell the format of ${what} "${file.filename}" (${file.contentType}); set source.format to csv, json or ndjson`,
      'UNKNOWN_FORMAT',
    );
  }
  let bytes = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      options.onProgress(file.length > 0 ? bytes / file.length : 1, read);
      callback(null, chunk);
    },
  });
  const download = store.openRead(file.id);
  // n.b. a download error destroys the counter with it and so surfaces in the iteration below
  pipeline(download, counter, () => undefined);
  const records = async function* (): AsyncGenerator<DataRecord> {
    for await (const record of readRecords(counter, format)) {
      read++;
      yield record;
    }
  };
  return {
    records: records(),
    recordsRead: () => read,
    close: () => {
      counter.destroy();
      download.destroy();
    },
  };
}
