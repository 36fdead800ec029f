/**
 * The files worker's job types, for clients that submit them typed: `file.image` and
 * `file.pdf-text` with their payload and result schemas.
 */
export { fileImage, filePdfText, fileJobTypes } from './job-types.js';
export {
  IMAGE_FORMATS,
  IMAGE_LIMITS,
  type FileImagePayload,
  type FileImageResult,
  type ImageOutputResult,
} from './images/options.js';
export {
  PDF_TEXT_FORMATS,
  type FilePdfTextPayload,
  type FilePdfTextResult,
} from './pdf/options.js';
export type { InputErrorCode } from './input-error.js';
