import { PassThrough, Transform, type Readable } from 'node:stream';
import sharp, { type Metadata, type OutputInfo, type Sharp } from 'sharp';
import { formatBytes, InputError } from '../input-error.js';
import { IMAGE_FORMAT_FILES, type ImageFormat, type PlannedOutput } from './options.js';

/** Input formats `file.image` reads (sharp's names; `heif` covers AVIF). */
export const INPUT_FORMATS: ReadonlySet<string> = new Set([
  'jpeg',
  'png',
  'webp',
  'heif',
  'gif',
  'tiff',
]);

/** Limits of {@link renderImage}. */
export interface ImageLimits {
  /** Most pixels (width × height) an input may have; over it the job fails as a decompression bomb. */
  readonly maxPixels: number;
  /** Most bytes an input may have. */
  readonly maxBytes: number;
}

/** What the input turned out to be. */
export interface SourceImage {
  /** sharp's name of the input format: jpeg, png, webp, heif, gif, tiff. */
  readonly format: string;
  /** Upright width (after the EXIF orientation). */
  readonly width: number;
  /** Upright height. */
  readonly height: number;
  readonly bytes: number;
}

/** One output as produced. */
export interface RenderedOutput<T> {
  readonly spec: PlannedOutput;
  readonly format: ImageFormat;
  readonly contentType: string;
  readonly width: number;
  readonly height: number;
  readonly bytes: number;
  /** What the sink returned for it (e.g. the stored artifact). */
  readonly stored: T;
}

/** Receives one output's bytes as a stream and stores them; resolves once all are stored. */
export type OutputSink<T> = (
  output: PlannedOutput & { contentType: string; extension: string },
  body: Readable,
) => Promise<T>;

/** Options of {@link renderImage}. */
export interface RenderImageOptions<T> extends ImageLimits {
  /** Where each output goes. Called for all outputs at once; they are produced in parallel. */
  readonly sink: OutputSink<T>;
  /** Called with the input's description before any output is produced (e.g. to log it). */
  readonly onSource?: (source: SourceImage) => void;
  /** Called as each output is stored, with how many are done. */
  readonly onOutput?: (done: number, output: RenderedOutput<T>) => void;
  /** Aborts reading and every output; the call then rejects with the signal's reason. */
  readonly signal?: AbortSignal;
}

const GRAVITY: Readonly<Record<string, string | number>> = {
  centre: 'centre',
  top: 'north',
  right: 'east',
  bottom: 'south',
  left: 'west',
  'top-left': 'northwest',
  'top-right': 'northeast',
  'bottom-left': 'southwest',
  'bottom-right': 'southeast',
  attention: sharp.strategy.attention,
};

/** Applies one output's operations to a clone of the input pipeline. */
function configure(image: Sharp, spec: PlannedOutput): Sharp {
  if (spec.autoOrient) image.autoOrient();
  if (spec.crop) image.extract(spec.crop);
  if (spec.resize) {
    const r = spec.resize;
    image.resize({
      width: r.width,
      height: r.height,
      fit: r.fit,
      position: GRAVITY[r.position],
      background: r.background ?? { r: 0, g: 0, b: 0, alpha: 0 },
      withoutEnlargement: !r.upscale,
    });
  }
  // n.b. JPEG has no alpha: transparent parts become white, not black
  if (spec.format === 'jpeg') image.flatten({ background: r6(spec.resize?.background) });
  if (spec.metadata === 'keep') image.keepMetadata();
  const quality = spec.quality;
  switch (spec.format) {
    case 'jpeg':
      return image.jpeg({ quality, mozjpeg: false });
    case 'png':
      return image.png();
    case 'webp':
      return image.webp({ quality });
    case 'avif':
      return image.avif({ quality });
  }
}

/** The RGB part of a `#rrggbb(aa)` / `#rgb` colour, white when absent. */
function r6(colour: string | undefined): string {
  if (!colour) return '#ffffff';
  return colour.length === 9
    ? colour.slice(0, 7)
    : colour.length === 5
      ? colour.slice(0, 4)
      : colour;
}

/** sharp / libvips errors in terms of the input; anything else is returned as it was. */
export function classifyImageError(err: unknown, maxPixels: number): unknown {
  if (!(err instanceof Error) || err instanceof InputError) return err;
  const m = err.message;
  if (/exceeds pixel limit/i.test(m))
    return new InputError(
      'IMAGE_TOO_MANY_PIXELS',
      `the image has more than ${maxPixels} pixels (the limit): refused as a possible decompression bomb`,
      { cause: err },
    );
  if (/unsupported image format/i.test(m))
    return new InputError(
      'IMAGE_UNSUPPORTED_FORMAT',
      'the file is not an image in a supported format (JPEG, PNG, WebP, AVIF/HEIF, GIF, TIFF)',
      { cause: err },
    );
  // n.b. running out of memory is the machine's state, not the file's: let it retry
  if (/memory|out of (space|resources)/i.test(m)) return err;
  return new InputError('IMAGE_CORRUPT', `the image cannot be decoded: ${m}`, { cause: err });
}

/** Passes bytes through, failing once more than `max` went by. */
function byteLimit(max: number, counted: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      counted.bytes += chunk.length;
      if (counted.bytes > max)
        done(
          new InputError(
            'FILE_TOO_LARGE',
            `the image is larger than ${formatBytes(max)} (the limit for images)`,
          ),
        );
      else done(null, chunk);
    },
  });
}

/**
 * Reads one image from `input` and produces every output from it: each output is a clone of
 * one sharp pipeline, so the compressed input is held once (sharp buffers a stream input;
 * libvips decodes it per output, shrinking on load where the format allows) and each
 * output's encoded bytes stream to `sink` as they are made.
 *
 * Before any output is produced the input's header is checked: its format must be one of
 * {@link INPUT_FORMATS}, its pixel count at most `maxPixels` (the decompression-bomb guard;
 * sharp's `limitInputPixels` enforces it again while decoding), and every crop must lie inside
 * the upright image. Input problems reject with an {@link InputError} naming what was wrong;
 * errors of `input` itself or of the sink reject as they are (a store outage can be retried).
 */
export async function renderImage<T>(
  input: Readable,
  outputs: readonly PlannedOutput[],
  opts: RenderImageOptions<T>,
): Promise<{ source: SourceImage; outputs: RenderedOutput<T>[] }> {
  const { signal, maxPixels } = opts;
  signal?.throwIfAborted();
  const root = sharp({ limitInputPixels: maxPixels, failOn: 'error', sequentialRead: true });
  // n.b. clones must exist before the input ends: they receive its buffer on 'finish'
  const clones = outputs.map((spec) => configure(root.clone(), spec));
  const counted = { bytes: 0 };
  const limiter = byteLimit(opts.maxBytes, counted);
  const streams: Readable[] = [input, limiter, root, ...clones];

  // The first failure wins; it destroys every stream and settles `failed`, which every wait
  // below races (a destroyed sharp instance never answers `metadata()`).
  let failure: { error: unknown } | null = null;
  let rejectFailed!: (err: unknown) => void;
  const failed = new Promise<never>((_, reject) => (rejectFailed = reject));
  failed.catch(() => undefined);
  const fail = (error: unknown) => {
    if (failure === null) {
      failure = { error };
      rejectFailed(error);
    }
    for (const s of streams) if (!s.destroyed) s.destroy();
  };
  const onAbort = () => fail(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  // Errors of the input and of the byte limit stay as they are; sharp's are about the image.
  input.on('error', fail);
  limiter.on('error', fail);
  for (const s of [root, ...clones])
    s.on('error', (err: Error) => fail(classifyImageError(err, maxPixels)));
  input.pipe(limiter).pipe(root);

  try {
    const meta = await Promise.race([
      root.metadata().catch((err: unknown) => {
        throw classifyImageError(err, maxPixels);
      }),
      failed,
    ]);
    const source = checkSource(meta, counted.bytes, maxPixels);
    for (const spec of outputs) checkCrop(spec, meta);
    opts.onSource?.(source);

    let done = 0;
    const rendered = await Promise.all(
      clones.map(async (clone, i) => {
        const spec = outputs[i]!;
        const files = IMAGE_FORMAT_FILES[spec.format];
        const info = new Promise<OutputInfo>((resolve) => clone.once('info', resolve));
        // n.b. a clone's writable side never really finishes (sharp emits 'finish' on it), so
        // stream.finished() calls its 'close' premature: hand the sink a plain readable
        const body = new PassThrough();
        streams.push(body);
        clone.pipe(body);
        const stored = await Promise.race([opts.sink({ ...spec, ...files }, body), failed]);
        const out = await Promise.race([info, failed]);
        const result: RenderedOutput<T> = {
          spec,
          format: spec.format,
          contentType: files.contentType,
          width: out.width,
          height: out.height,
          bytes: out.size,
          stored,
        };
        opts.onOutput?.(++done, result);
        return result;
      }),
    );
    return { source, outputs: rendered };
  } catch (err) {
    // n.b. a sink that failed on a destroyed clone reports that; the cause came first
    fail(err);
    throw (failure as { error: unknown } | null)?.error ?? err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** The input's description, or the reason it is refused. */
function checkSource(meta: Metadata, bytes: number, maxPixels: number): SourceImage {
  const format = meta.format ?? 'unknown';
  if (!INPUT_FORMATS.has(format))
    throw new InputError(
      'IMAGE_UNSUPPORTED_FORMAT',
      `the file is a ${format.toUpperCase()} image, which file.image does not read (JPEG, PNG, WebP, AVIF/HEIF, GIF, TIFF)`,
    );
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (width < 1 || height < 1)
    throw new InputError('IMAGE_CORRUPT', 'the image header gives no width or height');
  if (width * height > maxPixels)
    throw new InputError(
      'IMAGE_TOO_MANY_PIXELS',
      `the image is ${width} × ${height} = ${width * height} pixels, over the limit of ${maxPixels}: refused as a possible decompression bomb`,
    );
  return { format, width, height, bytes };
}

/** Fails an output whose crop does not lie inside the image it applies to. */
function checkCrop(spec: PlannedOutput, meta: Metadata): void {
  if (!spec.crop) return;
  // n.b. the crop applies to the upright image, or to the stored one without autoOrient
  const width = (spec.autoOrient ? meta.autoOrient?.width : undefined) ?? meta.width ?? 0;
  const height = (spec.autoOrient ? meta.autoOrient?.height : undefined) ?? meta.height ?? 0;
  const c = spec.crop;
  if (c.left + c.width > width || c.top + c.height > height)
    throw new InputError(
      'IMAGE_BAD_OPTIONS',
      `output ${spec.name}: crop ${c.width}×${c.height} at (${c.left}, ${c.top}) lies outside the ${width}×${height} image`,
    );
}
