#!/usr/bin/env node
/**
 * `pnpm store:check <MONGO_URL>`: checks that a MongoDB-compatible server gives Conveyor what
 * its job store relies on, in a temporary database it drops afterwards. Prints PASS/FAIL per
 * check with its figures; exits 0 when all pass, 1 when one fails, 2 on bad usage or when the
 * server cannot be reached.
 */
import { formatResult, formatServer, formatSummary } from './report.js';
import { runStoreCheck, type RunStoreCheckOptions } from './run.js';

const USAGE = `usage: pnpm store:check <MONGO_URL> [--racers N] [--rounds N] [--increments N]
  MONGO_URL   mongodb:// URL of the server to check (default: $MONGO_URL); its database
              path is ignored: the check works in a temporary database and drops it.
  --racers     concurrent clients per race (8)
  --rounds     rounds of the conditional-update and unique-index races (20)
  --increments $inc operations per racer (50)
`;

const FLAGS = { '--racers': 'racers', '--rounds': 'rounds', '--increments': 'increments' } as const;

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function usage(problem: string): never {
  process.stderr.write(`${problem}\n${USAGE}`);
  process.exit(2);
}

/** Parses argv into the URL and sizes; exits 2 with the usage on anything it does not know. */
function parseArgs(argv: readonly string[]): { url: string; options: RunStoreCheckOptions } {
  const sizes: Record<string, number> = {};
  let url: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    if (arg in FLAGS) {
      const value = Number(argv[++i]);
      if (!Number.isInteger(value) || value < 2 || value > 1000)
        usage(`${arg} needs an integer from 2 to 1000`);
      sizes[FLAGS[arg as keyof typeof FLAGS]] = value;
    } else if (arg.startsWith('-')) usage(`unknown option ${arg}`);
    else if (url === undefined) url = arg;
    else usage(`unexpected argument ${arg}`);
  }
  url ??= process.env['MONGO_URL'];
  if (!url) usage('no MONGO_URL given');
  if (!/^mongodb(\+srv)?:\/\//i.test(url)) usage(`not a mongodb:// URL: ${url}`);
  return { url, options: sizes };
}

const { url, options } = parseArgs(process.argv.slice(2));
const shown = url.replace(/^(mongodb(?:\+srv)?:\/\/[^:/@]*:)[^@/]*@/i, '$1***@');
out(`Conveyor store check against ${shown}`);
try {
  const report = await runStoreCheck(url, {
    ...options,
    onStart: (server, database) => {
      out(formatServer(server));
      out(`database: ${database} (temporary, dropped at the end)`);
    },
    onResult: (result) => out(formatResult(result)),
  });
  for (const line of formatSummary(report)) out(line);
  process.exit(report.ok && report.dropped ? 0 : 1);
} catch (error) {
  process.stderr.write(
    `cannot run the store check against ${shown}: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(2);
}
