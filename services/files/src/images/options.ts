import { z } from 'zod';
import { fileSourceSchema } from '../source.js';

/** Output formats of `file.image` (contract). */
export const IMAGE_FORMATS = ['jpeg', 'png', 'webp', 'avif'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/** Content type and file extension of each output format. */
export const IMAGE_FORMAT_FILES: Readonly<
  Record<ImageFormat, { contentType: string; extension: string }>
> = Object.freeze({
  jpeg: { contentType: 'image/jpeg', extension: 'jpg' },
  png: { contentType: 'image/png', extension: 'png' },
  webp: { contentType: 'image/webp', extension: 'webp' },
  avif: { contentType: 'image/avif', extension: 'avif' },
});

/** Quality each lossy format gets when an output names none (libvips' own defaults). */
export const DEFAULT_QUALITY: Readonly<Record<ImageFormat, number | null>> = Object.freeze({
  jpeg: 80,
  png: null,
  webp: 80,
  avif: 50,
});

/** Bounds of `file.image` payloads. */
export const IMAGE_LIMITS = Object.freeze({
  /** Outputs of one job. */
  outputs: 12,
  /** Largest width or height an output may ask for. */
  dimension: 16_384,
});

const dimension = z.int().min(1).max(IMAGE_LIMITS.dimension);

/**
 * How an output is resized (contract). Give `width`, `height` or both; with one, the other
 * follows the aspect ratio.
 */
export const resizeSchema = z
  .strictObject({
    /** Target width in pixels. */
    width: dimension.optional(),
    /** Target height in pixels. */
    height: dimension.optional(),
    /**
     * With both sides given: `cover` fills the box and crops the overflow, `contain` fits
     * inside it and fills the rest with `background`, `inside` fits inside it and keeps the
     * aspect ratio (the output may be smaller on one side). @default 'inside'
     */
    fit: z.enum(['cover', 'contain', 'inside']).default('inside'),
    /**
     * Which part `cover` keeps, or where `contain` places the image: a side or corner, or
     * `attention` (the most salient region, `cover` only). @default 'centre'
     */
    position: z
      .enum([
        'centre',
        'top',
        'right',
        'bottom',
        'left',
        'top-left',
        'top-right',
        'bottom-left',
        'bottom-right',
        'attention',
      ])
      .default('centre'),
    /** The fill of `contain`'s margins, `#rgb`, `#rrggbb` or `#rrggbbaa`. @default '#00000000' (transparent; white in JPEG) */
    background: z
      .string()
      .regex(
        /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i,
        'must be a #rgb, #rrggbb or #rrggbbaa colour',
      )
      .optional(),
    /** Enlarge images smaller than the target. @default false (never upscale) */
    upscale: z.boolean().default(false),
  })
  .refine((r) => r.width !== undefined || r.height !== undefined, {
    message: 'give width, height or both',
  })
  .refine((r) => r.position !== 'attention' || r.fit === 'cover', {
    message: 'position attention needs fit cover',
    path: ['position'],
  });

/** A rectangle cut out of the (upright) input before resizing (contract). */
export const cropSchema = z.strictObject({
  left: z.int().min(0),
  top: z.int().min(0),
  width: z.int().min(1),
  height: z.int().min(1),
});

/** One output of a `file.image` job (contract). */
export const imageOutputSchema = z.strictObject({
  /**
   * Names the output in the result and its file name (`<input name>-<name>.<ext>`); unique in
   * the job. @default its position, '1', '2', …
   */
  name: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, 'letters, digits, _ and -, at most 64')
    .optional(),
  /** Output format. @default 'webp' */
  format: z.enum(IMAGE_FORMATS).default('webp'),
  /** Resize; absent: the (cropped) input's size. */
  resize: resizeSchema.optional(),
  /** Cut this rectangle out first, in the coordinates of the upright image. */
  crop: cropSchema.optional(),
  /** Turn the image upright by its EXIF orientation first. @default true */
  autoOrient: z.boolean().default(true),
  /**
   * Quality 1–100 of lossy formats; ignored by PNG. @default jpeg 80, webp 80, avif 50
   */
  quality: z.int().min(1).max(100).optional(),
  /**
   * `strip` drops EXIF, XMP and ICC data (a sRGB output needs none); `keep` copies them
   * (with the orientation reset when the image was turned upright). @default 'strip'
   */
  metadata: z.enum(['strip', 'keep']).default('strip'),
});
export type ImageOutputSpec = z.infer<typeof imageOutputSchema>;
export type ImageOutputInput = z.input<typeof imageOutputSchema>;

/** `file.image` payload (contract). */
export const fileImagePayloadSchema = z
  .strictObject({
    source: fileSourceSchema,
    outputs: z.array(imageOutputSchema).min(1).max(IMAGE_LIMITS.outputs),
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.outputs.forEach((o, i) => {
      const name = o.name ?? String(i + 1);
      if (seen.has(name))
        ctx.addIssue({
          code: 'custom',
          path: ['outputs', i, 'name'],
          message: `output name ${name} is used twice`,
        });
      seen.add(name);
    });
  });
export type FileImagePayload = z.infer<typeof fileImagePayloadSchema>;

/** One stored output in a `file.image` result (contract). */
export const imageOutputResultSchema = z.object({
  name: z.string(),
  artifactId: z.string(),
  filename: z.string(),
  contentType: z.string(),
  format: z.enum(IMAGE_FORMATS),
  width: z.int(),
  height: z.int(),
  bytes: z.int(),
});
export type ImageOutputResult = z.infer<typeof imageOutputResultSchema>;

/** `file.image` result (contract): what the input was, and each output in payload order. */
export const fileImageResultSchema = z.object({
  source: z.object({
    filename: z.string(),
    format: z.string(),
    /** Upright size (after EXIF orientation). */
    width: z.int(),
    height: z.int(),
    bytes: z.int(),
  }),
  outputs: z.array(imageOutputResultSchema),
  /** The first output's artifact, for `GET /v1/jobs/:id/result`. */
  artifactId: z.string(),
});
export type FileImageResult = z.infer<typeof fileImageResultSchema>;

/** An output with its defaults applied and its name settled. */
export interface PlannedOutput extends ImageOutputSpec {
  readonly name: string;
  readonly quality: number | undefined;
}

/** The outputs of a parsed payload with names and qualities filled in. */
export function planOutputs(outputs: readonly ImageOutputSpec[]): PlannedOutput[] {
  return outputs.map((o, i) => ({
    ...o,
    name: o.name ?? String(i + 1),
    quality: o.format === 'png' ? undefined : (o.quality ?? DEFAULT_QUALITY[o.format] ?? undefined),
  }));
}
