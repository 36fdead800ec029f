import { PermanentJobError } from '@conveyor/sdk';
import { handle } from '@conveyor/sdk/worker';
import { formatBytes } from '../input-error.js';
import { asJobError } from '../job-error.js';
import { fileImage } from '../job-types.js';
import { baseName } from '../source.js';
import { IMAGE_FORMAT_FILES, planOutputs, type FileImageResult } from './options.js';
import { renderImage, type ImageLimits } from './pipeline.js';

/**
 * The `file.image` handler: streams the source into one sharp pipeline and every output into
 * its own artifact (`<source name>-<output name>.<ext>`), reporting progress as each output is
 * stored.
 */
export function fileImageHandler(limits: ImageLimits) {
  return handle(fileImage, async (payload, ctx): Promise<FileImageResult> => {
    const file = await ctx.files.open(payload.source);
    if (file.length > limits.maxBytes) {
      file.stream.destroy();
      throw new PermanentJobError(
        `the image is ${formatBytes(file.length)}, larger than ${formatBytes(limits.maxBytes)} (the limit for images)`,
        'FILE_TOO_LARGE',
      );
    }
    const outputs = planOutputs(payload.outputs);
    const base = baseName(file.filename);
    ctx.progress(0, `0/${outputs.length} outputs`);
    try {
      const done = await renderImage(file.stream, outputs, {
        ...limits,
        signal: ctx.signal,
        sink: (out, body) =>
          ctx.files.write(
            { filename: `${base}-${out.name}.${out.extension}`, contentType: out.contentType },
            body,
          ),
        onSource: (s) =>
          ctx.log.info(
            { format: s.format, width: s.width, height: s.height, bytes: s.bytes },
            'image read',
          ),
        onOutput: (n, o) =>
          ctx.progress(
            (n / outputs.length) * 100,
            `${n}/${outputs.length} outputs (${o.spec.name}: ${o.width}×${o.height} ${o.format})`,
          ),
      });
      const results = done.outputs.map((o) => ({
        name: o.spec.name,
        artifactId: o.stored.artifactId,
        filename: `${base}-${o.spec.name}.${IMAGE_FORMAT_FILES[o.format].extension}`,
        contentType: o.contentType,
        format: o.format,
        width: o.width,
        height: o.height,
        bytes: o.stored.length,
      }));
      return {
        source: { filename: file.filename, ...done.source },
        outputs: results,
        artifactId: results[0]!.artifactId,
      };
    } catch (err) {
      throw asJobError(err);
    }
  });
}
