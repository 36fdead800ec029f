import { defineJobType } from '@conveyor/sdk';
import { fileImagePayloadSchema, fileImageResultSchema } from './images/options.js';
import { filePdfTextPayloadSchema, filePdfTextResultSchema } from './pdf/options.js';

/** Stands for the id `POST /v1/uploads` answers, in the examples the dashboard starts from. */
const UPLOAD_ID_EXAMPLE = '0123456789abcdef01234567';

/**
 * `file.image`: resizes, crops and converts one image (an upload or an earlier job's artifact)
 * into one or more outputs, each stored as an artifact. Input problems (not an image, damaged,
 * too many pixels) fail the job at once with a code naming them.
 */
export const fileImage = defineJobType({
  name: 'file.image',
  description:
    'Resize, crop and convert an image into up to 12 outputs (JPEG, PNG, WebP, AVIF), each an artifact',
  payload: fileImagePayloadSchema,
  result: fileImageResultSchema,
  defaults: { maxAttempts: 3, timeoutMs: 120_000 },
  examples: [
    {
      source: { uploadId: UPLOAD_ID_EXAMPLE },
      outputs: [
        { name: 'thumb', format: 'webp', resize: { width: 320, height: 320, fit: 'cover' } },
        { name: 'large', format: 'jpeg', resize: { width: 1600 }, quality: 85 },
      ],
    },
  ],
});

/**
 * `file.pdf-text`: the text of a PDF's pages (an upload or an artifact), as text or JSON with
 * page numbers, stored as an artifact; progress per page.
 */
export const filePdfText = defineJobType({
  name: 'file.pdf-text',
  description: 'Extract the text of a PDF page by page, as text or JSON with page numbers',
  payload: filePdfTextPayloadSchema,
  result: filePdfTextResultSchema,
  defaults: { maxAttempts: 3, timeoutMs: 300_000 },
  examples: [
    { source: { uploadId: UPLOAD_ID_EXAMPLE }, format: 'json', pages: { first: 1, last: 10 } },
  ],
});

/** Every job type the files worker runs. */
export const fileJobTypes = [fileImage, filePdfText] as const;
