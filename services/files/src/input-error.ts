/**
 * Why a file job's input cannot be processed. Each is permanent: running the job again on the
 * same file gives the same answer, so the job fails at once instead of retrying.
 */
export type InputErrorCode =
  /** The file is larger than the worker accepts for this job type. */
  | 'FILE_TOO_LARGE'
  /** The image's width × height (× pages) is over the pixel limit: a decompression bomb. */
  | 'IMAGE_TOO_MANY_PIXELS'
  /** Not an image, or an image format this worker does not read. */
  | 'IMAGE_UNSUPPORTED_FORMAT'
  /** An image whose data cannot be decoded (truncated, damaged). */
  | 'IMAGE_CORRUPT'
  /** An output asks for something the image cannot give (a crop outside it). */
  | 'IMAGE_BAD_OPTIONS'
  /** The file does not start like a PDF. */
  | 'NOT_A_PDF'
  /** A PDF whose structure cannot be read. */
  | 'PDF_CORRUPT'
  /** A PDF that needs a password. */
  | 'PDF_ENCRYPTED'
  /** More pages asked for than the worker allows in one job. */
  | 'PDF_TOO_MANY_PAGES'
  /** A page range that starts after the document's last page. */
  | 'PDF_PAGE_RANGE';

/**
 * A problem with a job's input file, named by a stable `code`. `retryable` is always false;
 * handlers turn it into the SDK's `PermanentJobError` with the same code and message.
 */
export class InputError extends Error {
  override readonly name = 'InputError';
  readonly retryable = false;

  constructor(
    readonly code: InputErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/** Formats a byte count for messages: `12.5 MiB`, `800 KiB`, `512 B`. */
export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}
