import sharp from 'sharp';
import { ConfigError, createWorker } from '@conveyor/sdk/worker';
import { filesConfig, FilesConfigError } from './config.js';
import { fileImageHandler } from './images/file-image.js';
import { pdfTextHandler } from './pdf/pdf-text.js';

/** The files worker: `file.image` and `file.pdf-text`, on the public SDK. */
async function main(): Promise<void> {
  const config = filesConfig();
  // n.b. every input is seen once: libvips' operation cache would only hold memory
  sharp.cache(false);
  const worker = await createWorker({
    name: 'files',
    concurrency: config.CONCURRENCY,
    // n.b. the port the compose file, k8s and `pnpm dev` (+4) give this worker
    metricsPort: 9104,
    handlers: [
      fileImageHandler({ maxPixels: config.IMAGE_MAX_PIXELS, maxBytes: config.IMAGE_MAX_BYTES }),
      pdfTextHandler({ maxBytes: config.PDF_MAX_BYTES, maxPages: config.PDF_MAX_PAGES }),
    ],
  });
  worker.handleSignals();
}

main().catch((err: unknown) => {
  process.stderr.write(
    `${err instanceof FilesConfigError || err instanceof ConfigError ? err.message : ((err as Error).stack ?? String(err))}\n`,
  );
  process.exit(1);
});
