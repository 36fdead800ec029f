// The files worker through the whole system: uploads made here, jobs submitted to the API,
// run by the files worker as deployed, results read back. Prints images/s (a 12-megapixel
// JPEG into three WebP sizes per job) and PDF pages/s end to end, with the files worker's
// peak RSS sampled from its /metrics. Figures, not assertions.
//
//   pnpm dev   # in another terminal (or any running system)
//   node bench/files/system.mjs [--api http://127.0.0.1:3000] [--metrics http://127.0.0.1:9104/metrics]
//                               [--images 24] [--pdf-jobs 4] [--pages 400]
//
// TOKEN from the environment, else a dev token from the API's token CLI (the dev secret).
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';

const root = new URL('../../', import.meta.url);
const require = createRequire(new URL('services/files/package.json', root));
const sharp = require('sharp');
const PDFDocument = require('pdfkit');

const { values: args } = parseArgs({
  options: {
    api: { type: 'string', default: 'http://127.0.0.1:3000' },
    metrics: { type: 'string', default: 'http://127.0.0.1:9104/metrics' },
    images: { type: 'string', default: '24' },
    'pdf-jobs': { type: 'string', default: '4' },
    pages: { type: 'string', default: '400' },
  },
});
const token =
  process.env.TOKEN ??
  execFileSync(
    process.execPath,
    [new URL('services/api/dist/auth/token-cli.js', root).pathname, '--sub', 'bench-files'],
    { encoding: 'utf8' },
  ).trim();
const auth = { authorization: `Bearer ${token}` };

async function call(path, init = {}) {
  const res = await fetch(`${args.api}${path}`, { ...init, headers: { ...auth, ...init.headers } });
  if (!res.ok)
    throw new Error(`${init.method ?? 'GET'} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function upload(bytes, filename, type) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type }), filename);
  return (await call('/v1/uploads', { method: 'POST', body: form })).uploadId;
}

const submit = (body) =>
  call('/v1/jobs', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

/** Samples the files worker's resident memory every 250 ms; `stop()` resolves the peak. */
function rssSampler() {
  let peak = 0;
  let running = true;
  const loop = (async () => {
    while (running) {
      const text = await (await fetch(args.metrics)).text();
      const m = /^conveyor_process_resident_memory_bytes(?:\{[^}]*\})? (\d+)/m.exec(text);
      if (m) peak = Math.max(peak, Number(m[1]));
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return peak;
    },
  };
}

/** Waits for every job to end; throws on one that did not succeed. */
async function allDone(ids) {
  const left = new Set(ids);
  while (left.size > 0) {
    for (const id of [...left]) {
      const job = await call(`/v1/jobs/${id}`);
      if (job.status === 'succeeded') left.delete(id);
      else if (['failed', 'cancelled'].includes(job.status))
        throw new Error(`job ${id} ${job.status}: ${JSON.stringify(job.error)}`);
    }
    if (left.size > 0) await new Promise((r) => setTimeout(r, 200));
  }
}

async function run(what, jobs, unitsPerJob, unit) {
  const sampler = rssSampler();
  const start = process.hrtime.bigint();
  const ids = [];
  for (const body of jobs) ids.push((await submit(body)).id);
  await allDone(ids);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const peak = await sampler.stop();
  console.log(
    `${what}: ${jobs.length} jobs in ${seconds.toFixed(1)} s = ` +
      `${((jobs.length * unitsPerJob) / seconds).toFixed(unit === 'images' ? 2 : 0)} ${unit}/s end to end; ` +
      `files worker peak RSS ${(peak / 1024 / 1024).toFixed(0)} MiB`,
  );
}

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
const photo = await upload(jpeg, 'bench.jpg', 'image/jpeg');
const outputs = [1920, 800, 200].map((width) => ({ name: `w${width}`, resize: { width } }));
await run(
  `file.image 12 MP JPEG -> WebP 1920/800/200`,
  Array.from({ length: Number(args.images) }, () => ({
    type: 'file.image',
    payload: { source: { uploadId: photo }, outputs },
  })),
  1,
  'images',
);

const pages = Number(args.pages);
const doc = new PDFDocument({ autoFirstPage: false });
const chunks = [];
doc.on('data', (c) => chunks.push(c));
const ended = new Promise((resolve) => doc.on('end', resolve));
for (let p = 1; p <= pages; p++) {
  doc.addPage({ size: 'A4', margin: 40 });
  doc.font('Helvetica').fontSize(9);
  for (let l = 1; l <= 40; l++)
    doc.text(`Page ${p}, line ${l}: the quick brown fox jumps over the lazy dog ${p * l}`);
}
doc.end();
await ended;
const pdf = await upload(Buffer.concat(chunks), 'bench.pdf', 'application/pdf');
await run(
  `file.pdf-text ${pages}-page PDF -> JSON`,
  Array.from({ length: Number(args['pdf-jobs']) }, () => ({
    type: 'file.pdf-text',
    payload: { source: { uploadId: pdf }, format: 'json' },
  })),
  pages,
  'pages',
);
