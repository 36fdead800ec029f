#!/usr/bin/env node
/**
 * `pnpm search:backfill [MONGO_URL] [--batch N] [--after <job id>] [--pause-ms N]` (in the
 * API's image: `node dist/jobs/search-backfill-cli.js`): gives the jobs stored before payload
 * search existed their search keys, as a submit would now (see `backfillSearchKeys`). Prints a
 * line per batch and the totals; exits 0 when every job was seen, 1 when it stopped early (a
 * signal, a store error) with the `--after` that resumes it, 2 on bad usage or when the store
 * cannot be reached. SIGINT / SIGTERM stop it after the batch under way.
 */
import { parseArgs } from 'node:util';
import { connectMongo, createLogger } from '@conveyor/platform';
import {
  backfillSearchKeys,
  JobTypeCatalogue,
  type SearchBackfillProgress,
} from '@conveyor/jobs/store';

const USAGE = `usage: pnpm search:backfill [MONGO_URL] [--batch N] [--after <job id>] [--pause-ms N]
  MONGO_URL   the job store (default: $MONGO_URL), database included
  --batch     jobs read and written per round trip, 1 to 5000 (200)
  --after     resume: only jobs with a greater id (printed by an earlier run)
  --pause-ms  a pause between batches, to spare a busy store (0)
`;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function usage(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}`);
  process.exit(2);
}

function intOption(name: string, text: string | undefined, min: number, max: number) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max)
    usage(`--${name} needs an integer from ${min} to ${max}`);
  return n;
}

function options() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        batch: { type: 'string' },
        after: { type: 'string' },
        'pause-ms': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    usage((err as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    process.exit(0);
  }
  if (positionals.length > 1) usage(`unexpected argument ${positionals[1]}`);
  const batchSize = intOption('batch', values.batch, 1, 5000) ?? 200;
  const pauseMs = intOption('pause-ms', values['pause-ms'], 0, 60_000) ?? 0;
  if (values.after !== undefined && !/^[a-f0-9]{24}$/.test(values.after))
    usage('--after needs a job id (24 hex digits)');
  const url = positionals[0] ?? process.env['MONGO_URL'];
  if (!url) usage('no MONGO_URL given');
  if (!/^mongodb(\+srv)?:\/\//i.test(url)) usage(`not a mongodb:// URL: ${url}`);
  return { url, batchSize, pauseMs, after: values.after };
}

const totals = (p: SearchBackfillProgress) =>
  `${p.read} read, ${p.updated} given keys, ${p.nothingSearchable} with nothing searchable`;

const { url, batchSize, pauseMs, after } = options();
const shown = url.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
let conn;
try {
  conn = await connectMongo(url, createLogger('search-backfill', 'warn'), {
    appName: 'conveyor-search-backfill',
    timeoutMs: 30_000,
  });
} catch (err) {
  process.stderr.write(`cannot reach the store at ${shown}: ${(err as Error).message}\n`);
  process.exit(2);
}
out(
  `search-key backfill of ${shown} (database ${conn.name}), batches of ${batchSize}${after ? `, after ${after}` : ''}`,
);
const stop = new AbortController();
for (const signal of ['SIGINT', 'SIGTERM'] as const)
  process.once(signal, () => {
    out(`${signal}: stopping after this batch`);
    stop.abort();
  });
// n.b. where a failed run resumes: the last batch that was written
const resume = { after };
let code = 0;
try {
  const done = await backfillSearchKeys(conn, new JobTypeCatalogue(conn), {
    batchSize,
    pauseMs,
    after,
    signal: stop.signal,
    onBatch: (p) => {
      resume.after = p.lastId ?? after;
      out(`batch: ${totals(p)}; last id ${p.lastId}`);
    },
  });
  out(`${done.stopped ? 'stopped' : 'done'}: ${totals(done)}`);
  if (done.raced > 0) out(`  ${done.raced} got keys or were deleted meanwhile (left alone)`);
  if (done.unknownType > 0)
    out(`  ${done.unknownType} of a type not in the catalogue (keyed by their top-level fields)`);
  if (done.unreadable > 0) out(`  ${done.unreadable} with a payload that is not JSON (no keys)`);
  if (done.stopped) {
    out(`resume with --after ${done.lastId}`);
    code = 1;
  }
} catch (err) {
  process.stderr.write(`failed: ${(err as Error).message}\n`);
  if (resume.after) process.stderr.write(`resume with --after ${resume.after}\n`);
  code = 1;
} finally {
  await conn.close();
}
process.exit(code);
