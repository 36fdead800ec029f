import { z } from 'zod';

const objectId = (what: string) =>
  z.string().regex(/^[a-f0-9]{24}$/, `must be ${what} id (24 hex digits)`);

/**
 * Where a file job reads its input (contract): one of the owner's uploads
 * (`POST /v1/uploads`) or an artifact an earlier job of theirs produced (its result's
 * `artifactId`), e.g. an image made by a previous `file.image` step.
 */
export const fileSourceSchema = z.union([
  z.strictObject({ uploadId: objectId('an upload') }),
  z.strictObject({ artifactId: objectId('an artifact') }),
]);
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
