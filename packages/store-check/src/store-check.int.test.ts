import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mongo } from 'mongoose';
import { freePort, infra } from '@conveyor/testkit';
import { requiredIndexes, runStoreCheck, STORE_CHECKS } from './index.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), 'cli.js');

function runCli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { timeout: 300_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('store check against the test MongoDB-wire server', () => {
  let mongoUrl: string;
  let client: mongo.MongoClient;

  beforeAll(async () => {
    mongoUrl = (await infra()).mongoUrl;
    client = await new mongo.MongoClient(mongoUrl).connect();
  });
  afterAll(async () => {
    await client.close();
  });

  it('passes every check and drops its temporary database', async () => {
    const seen: string[] = [];
    const report = await runStoreCheck(mongoUrl, {
      databasePrefix: 'store_check_test',
      onResult: (r) => seen.push(r.name),
    });
    for (const result of report.results)
      expect({ [result.name]: result.ok }).toEqual({ [result.name]: true });
    expect(report.results.map((r) => r.name)).toEqual(STORE_CHECKS.map((c) => c.name));
    expect(seen).toEqual(STORE_CHECKS.map((c) => c.name));
    expect(report.results.find((r) => r.name === 'conditional findOneAndUpdate')?.detail).toContain(
      '20 winners (expected 20)',
    );
    expect(report.results.find((r) => r.name === '$inc under contention')?.detail).toContain(
      'counter 400 (expected 400)',
    );
    expect(report.ok).toBe(true);
    expect(report.dropped).toBe(true);
    const names = (await client.db('admin').admin().listDatabases({ nameOnly: true })).databases;
    expect(names.map((d) => d.name)).not.toContain(report.database);
  }, 300_000);

  it('checks the indexes the job models declare, the unique dedupe key among them', () => {
    const indexes = requiredIndexes();
    expect(indexes).toContainEqual({
      collection: 'jobs',
      key: { dedupeKey: 1 },
      unique: true,
      options: {},
    });
    expect(indexes.some((i) => i.collection === 'schedules')).toBe(true);
  });

  it('runs as a command: PASS per check, exit 0', async () => {
    const { code, stdout } = await runCli([mongoUrl, '--rounds', '5']);
    expect(stdout).toContain('PASS conditional findOneAndUpdate');
    expect(stdout).toContain('5 rounds x 8 racers');
    expect(stdout.match(/^PASS /gm)).toHaveLength(STORE_CHECKS.length + 1);
    expect(stdout).not.toMatch(/^FAIL /m);
    expect(stdout).toMatch(
      new RegExp(`store check passed: ${STORE_CHECKS.length} of ${STORE_CHECKS.length} checks`),
    );
    expect(code).toBe(0);
  }, 300_000);

  it('exits 2 naming the problem on bad usage and on a server that does not answer', async () => {
    const bad = await runCli(['http://127.0.0.1:1/x']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('not a mongodb:// URL');
    const closed = await freePort();
    const unreachable = await runCli([
      `mongodb://127.0.0.1:${closed}/x?serverSelectionTimeoutMS=1000`,
    ]);
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain(
      `cannot run the store check against mongodb://127.0.0.1:${closed}`,
    );
  }, 60_000);
});
