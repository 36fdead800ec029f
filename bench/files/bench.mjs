// Throughput of the files worker's pipelines on this machine, without the store or the
// broker: images/s for a 12-megapixel JPEG turned into three WebP sizes, and PDF pages/s for
// text extraction, each with the process's peak RSS. Figures, not assertions.
//
//   pnpm -s build && node bench/files/bench.mjs [--images 24] [--concurrency 2] [--pages 400]
//
// Each part runs in a process of its own (`--only images|pdf`), so each peak RSS is its own.
// Inputs are made first (a textured 4000 × 3000 JPEG drawn by sharp, a PDF of `--pages` pages
// of 40 lines each drawn by PDFKit); timing starts after.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const dist = new URL('../../services/files/dist/', import.meta.url);
// n.b. sharp and PDFKit are the files service's dependencies: resolve them from there
const require = createRequire(new URL('../package.json', dist));
const sharp = require('sharp');
const { renderImage } = await import(new URL('images/pipeline.js', dist));
const { imageOutputSchema, planOutputs } = await import(new URL('images/options.js', dist));
const { openPdf } = await import(new URL('pdf/extract.js', dist));
const { formatPages } = await import(new URL('pdf/format.js', dist));
const PDFDocument = require('pdfkit');

const { values: args } = parseArgs({
  options: {
    images: { type: 'string', default: '24' },
    concurrency: { type: 'string', default: '2' },
    pages: { type: 'string', default: '400' },
    only: { type: 'string' },
  },
});
if (args.only === undefined) {
  for (const part of ['images', 'pdf']) {
    const argv = process.argv.slice(2);
    execFileSync(process.execPath, [fileURLToPath(import.meta.url), ...argv, '--only', part], {
      stdio: 'inherit',
    });
  }
  process.exit(0);
}
const IMAGES = Number(args.images);
const CONCURRENCY = Number(args.concurrency);
const PAGES = Number(args.pages);
sharp.cache(false);

const mib = (bytes) =>
  bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MiB`
    : `${(bytes / 1024).toFixed(0)} KiB`;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

/** CPU seconds (all threads: libvips works in its own) used by the last {@link timed} run. */
let lastCpuSeconds = 0;

/** Runs `task(i)` for i < n with `concurrency` at once; resolves with the elapsed seconds. */
async function timed(n, concurrency, task) {
  let next = 0;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
  const used = process.cpuUsage(cpu);
  lastCpuSeconds = (used.user + used.system) / 1e6;
  return Number(process.hrtime.bigint() - start) / 1e9;
}

const discard = () =>
  new Writable({
    write(_chunk, _enc, done) {
      done();
    },
  });

// --- images ---------------------------------------------------------------------------------
if (args.only === 'images') {
  const jpeg = await sharp({
    create: {
      width: 4000,
      height: 3000,
      channels: 3,
      noise: { type: 'gaussian', mean: 128, sigma: 40 },
    },
  })
    .blur(1.5)
    .modulate({ saturation: 1.4 })
    .jpeg({ quality: 85 })
    .toBuffer();
  const outputs = planOutputs(
    [1920, 800, 200].map((width) =>
      imageOutputSchema.parse({ name: `w${width}`, format: 'webp', resize: { width } }),
    ),
  );
  const rssBeforeImages = peakRss();
  let outBytes = 0;
  const imageSeconds = await timed(IMAGES, CONCURRENCY, async () => {
    const chunks = [];
    for (let i = 0; i < jpeg.length; i += 256 * 1024) chunks.push(jpeg.subarray(i, i + 256 * 1024));
    await renderImage(Readable.from(chunks), outputs, {
      maxPixels: 100_000_000,
      maxBytes: 64 * 1024 * 1024,
      sink: async (_out, body) => {
        for await (const c of body) outBytes += c.length;
      },
    });
  });
  const imagesPerSecond = IMAGES / imageSeconds;
  console.log(
    `file.image  12 MP JPEG (${mib(jpeg.length)}) -> WebP 1920/800/200 wide: ${IMAGES} images in ` +
      `${imageSeconds.toFixed(1)} s at ${CONCURRENCY} at once = ${imagesPerSecond.toFixed(2)} images/s ` +
      `(${(imagesPerSecond * 12).toFixed(0)} MP/s, ${(outBytes / IMAGES / 1024).toFixed(0)} KiB out per image, ` +
      `${((lastCpuSeconds / IMAGES) * 1000).toFixed(0)} ms CPU per image); ` +
      `peak RSS ${mib(peakRss())} (${mib(rssBeforeImages)} after making the input)`,
  );
}

// --- PDF text -------------------------------------------------------------------------------
if (args.only === 'pdf') {
  const dir = await mkdtemp(join(tmpdir(), 'conveyor-bench-files-'));
  try {
    const doc = new PDFDocument({ autoFirstPage: false });
    const chunks = [];
    doc.on('data', (c) => chunks.push(c));
    const ended = new Promise((resolve) => doc.on('end', resolve));
    for (let p = 1; p <= PAGES; p++) {
      doc.addPage({ size: 'A4', margin: 40 });
      doc.font('Helvetica').fontSize(9);
      for (let l = 1; l <= 40; l++)
        doc.text(`Page ${p}, line ${l}: the quick brown fox jumps over the lazy dog ${p * l}`);
    }
    doc.end();
    await ended;
    const path = join(dir, 'bench.pdf');
    const bytes = Buffer.concat(chunks).length;
    await writeFile(path, Buffer.concat(chunks));
    chunks.length = 0;
    const rssBeforePdf = peakRss();
    const runs = 2;
    let characters = 0;
    const pdfSeconds = await timed(runs, 1, async () => {
      const pdf = await openPdf(path);
      const totals = { characters: 0, emptyPages: 0, pages: 0 };
      await pipeline(
        Readable.from(formatPages('json', pdf.pageCount, pdf.pages(1, pdf.pageCount), totals)),
        discard(),
      );
      characters = totals.characters;
      await pdf.close();
    });
    const pagesPerSecond = (PAGES * runs) / pdfSeconds;
    console.log(
      `file.pdf-text  ${PAGES}-page PDF (${mib(bytes)}, 40 lines a page) -> JSON: ${runs} runs in ` +
        `${pdfSeconds.toFixed(1)} s = ${pagesPerSecond.toFixed(0)} pages/s ` +
        `(${characters} characters a run, ${((lastCpuSeconds / (PAGES * runs)) * 1000).toFixed(1)} ms CPU per page); peak RSS ${mib(peakRss())} (${mib(rssBeforePdf)} after making the input)`,
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
