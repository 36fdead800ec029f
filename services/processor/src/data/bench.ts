/**
 * Throughput of the `data.process` pipeline on a generated CSV, without servers:
 * `node services/processor/dist/data/bench.js [rows=1000000]`. Prints rows/s, elapsed and CPU
 * time and peak RSS for two runs: clean -> filter -> aggregate, and clean -> filter -> sort (which
 * spills runs to disk past 100 000 records); both write CSV to a sink that discards bytes.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { Step } from '@conveyor/contracts';
import { runSteps } from './pipeline.js';
import { readRecords } from './read.js';
import { writeRecords } from './write.js';

const CITIES = ['Paris', 'Zürich', '東京', 'Lyon', 'New York', 'São Paulo', 'Oslo', 'Lagos'];

async function generate(path: string, rows: number): Promise<void> {
  const out = createWriteStream(path);
  let batch = 'id, Customer Name ,City,Amount,Note\n';
  for (let i = 1; i <= rows; i++) {
    const amount = i % 50 === 0 ? 'n/a' : ` ${((i * 7919) % 100_000) / 100} `;
    const note = i % 7 === 0 ? '"said ""hi"", then left"' : '';
    batch += `${i},"Customer, ${i % 5000}",${CITIES[i % CITIES.length]},${amount},${note}\n`;
    if (batch.length > 1 << 16) {
      if (!out.write(batch)) await once(out, 'drain');
      batch = '';
    }
  }
  out.end(batch);
  await finished(out);
}

async function measure(label: string, path: string, rows: number, steps: Step[]): Promise<void> {
  let bytes = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      bytes += chunk.length;
      callback();
    },
  });
  const started = process.hrtime.bigint();
  const cpuBefore = process.cpuUsage();
  const records = runSteps(
    readRecords(createReadStream(path), 'csv'),
    steps,
    new AbortController().signal,
  );
  const result = await writeRecords(records, 'csv', sink, new AbortController().signal);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const peakMiB = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    `${label}: ${rows} rows in ${seconds.toFixed(2)} s = ${Math.round(rows / seconds)} rows/s ` +
      `(CPU ${cpuSeconds.toFixed(2)} s, all threads); ` +
      `${result.recordsOut} records / ${bytes} bytes out; peak RSS so far ${peakMiB.toFixed(0)} MiB\n`,
  );
}

async function main(): Promise<void> {
  const rows = Number(process.argv[2] ?? 1_000_000);
  if (!Number.isInteger(rows) || rows < 1) throw new Error('usage: bench.js [rows]');
  const dir = await mkdtemp(join(tmpdir(), 'conveyor-bench-'));
  try {
    const path = join(dir, 'input.csv');
    await generate(path, rows);
    process.stdout.write(
      `input: ${rows} rows, ${((await stat(path)).size / 2 ** 20).toFixed(1)} MiB CSV\n`,
    );
    const clean: Step = { op: 'clean', trim: true, normalizeKeys: true };
    const filter: Step = { op: 'filter', where: [{ field: 'amount', gte: 100 }] };
    await measure('clean/filter/aggregate', path, rows, [
      clean,
      filter,
      {
        op: 'aggregate',
        groupBy: ['city'],
        metrics: [
          { fn: 'count', as: 'orders' },
          { fn: 'sum', field: 'amount', as: 'total' },
          { fn: 'avg', field: 'amount', as: 'mean' },
        ],
      },
    ]);
    await measure('clean/filter/sort', path, rows, [
      clean,
      filter,
      { op: 'sort', by: [{ field: 'amount', dir: 'desc' }] },
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
