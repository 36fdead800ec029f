import { z } from 'zod';

const objectId = (what: string) =>
  z.string().regex(/^[a-f0-9]{24}$/, `must be ${what} id (24 hex digits)`);

/**
 * Where a file job reads its input (contract): one of the owner's uploads
 * (`{"uploadId": …}`, from `POST /v1/uploads`) or an artifact an earlier job of theirs
 * produced (`{"artifactId": …}`, its result's `artifactId`), exactly one of the two.
 *
 * n.b. one object with two optional fields rather than a union: its JSON Schema says "exactly
 * one" with `minProperties` / `maxProperties` at `source` itself, so a workflow step whose
 * `source.artifactId` the previous step fills passes the API's check (a union's branches would
 * report `source.uploadId` missing).
 */
export const fileSourceSchema = z
  .strictObject({
    uploadId: objectId('an upload').optional(),
    artifactId: objectId('an artifact').optional(),
  })
  .refine((s) => (s.uploadId === undefined) !== (s.artifactId === undefined), {
    message: 'give exactly one of uploadId and artifactId',
  })
  .meta({ minProperties: 1, maxProperties: 1 })
  .transform((s): { uploadId: string } | { artifactId: string } =>
    s.uploadId !== undefined ? { uploadId: s.uploadId } : { artifactId: s.artifactId! },
  );
export type FileSource = z.infer<typeof fileSourceSchema>;

/**
 * The file's name without its directory and extension, in ASCII letters, digits, `.`, `_` and
 * `-` (accents dropped, other runs of characters as one `_`), for naming outputs; `file` when
 * nothing is left.
 */
export function baseName(filename: string): string {
  const last = filename.split(/[\\/]/).pop() ?? '';
  const stem = last.replace(/\.[A-Za-z0-9]{1,8}$/, '');
  const safe = stem
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+|_+$/g, '')
    .slice(0, 100);
  return safe === '' ? 'file' : safe;
}
