import { describe, expect, it } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import { placeholdersIn, readRun, scriptFor, shellBlocks, withPorts } from './shell-blocks.js';

const doc = [
  '# Title',
  '```sh',
  'echo one',
  '```',
  '',
  '<!-- README test: not run (needs a cluster) -->',
  '```sh',
  'kubectl apply -k k8s',
  '```',
  '```js',
  'const x = 1;',
  '```',
  '<!-- README test: expects HTTP 400 -->',
  '```sh',
  "curl -s localhost:3000/v1/jobs -d '{}'",
  '```',
].join('\n');

describe('shellBlocks', () => {
  it('finds the sh blocks in order with their marks, and no others', () => {
    const blocks = shellBlocks(doc, 'X.md');
    expect(blocks.map((b) => [b.where, b.text, b.notRun, b.expectsStatus])).toEqual([
      ['X.md:2', 'echo one', null, null],
      ['X.md:7', 'kubectl apply -k k8s', 'needs a cluster', null],
      ['X.md:14', "curl -s localhost:3000/v1/jobs -d '{}'", null, 400],
    ]);
  });

  it('refuses a mark it does not know', () => {
    expect(() => shellBlocks('<!-- README test: maybe -->\n```sh\nls\n```', 'Y.md')).toThrow(
      /unknown README test mark/,
    );
  });
});

describe('placeholdersIn', () => {
  it('finds what a reader would have to fill in, outside comments', () => {
    expect(placeholdersIn('curl -s localhost:3000/v1/workflows/<id> # the <id> printed')).toEqual([
      '<id>',
    ]);
    expect(placeholdersIn('curl -s x -d \'{"to":"Ann <ann@example.com>"}\'')).toEqual([]);
    expect(placeholdersIn('X=$(cat <<EOF\n{}\nEOF\n)')).toEqual([]);
    expect(placeholdersIn('curl -s "$URL/…"')).toEqual(['…']);
  });
});

describe('withPorts and scriptFor', () => {
  it('moves only the default API and catcher ports', () => {
    expect(
      withPorts('localhost:3000 127.0.0.1:1080 localhost:30001 :3000', {
        api: 4100,
        catcher: 4200,
      }),
    ).toBe('localhost:4100 127.0.0.1:4200 localhost:30001 :3000');
  });

  it('numbers the blocks and reads statuses and failures back per block', () => {
    const script = scriptFor(shellBlocks(doc, 'X.md'), { api: 1, catcher: 2 });
    expect(script).toContain('README_BLOCK=2');
    expect(script).toContain('localhost:1/v1/jobs');
    const run = readRun(
      '@@block 0 X.md:2\n@@end\n',
      '@@block 0 X.md:2\n@@http 200 GET http://a/\n@@block 2 X.md:14\n@@http 400 POST http://a/v1/jobs\n@@fail block=2 status=1 command=false\n',
    );
    expect(run.ended).toBe(true);
    expect(run.statuses.get(0)).toEqual([{ status: 200, request: 'GET http://a/' }]);
    expect(run.statuses.get(2)?.[0]?.status).toBe(400);
    expect(run.failures).toHaveLength(1);
  });
});

describe('a run of scriptFor in bash', () => {
  it('finds its end marker after a block whose output has no final newline', () => {
    const blocks = shellBlocks('```sh\nprintf \'{"matched":0}\'\n```\n', 'Z.md');
    const run = spawnSync('bash', ['-c', scriptFor(blocks, { api: 1, catcher: 2 })], {
      encoding: 'utf8',
    });
    const report = readRun(run.stdout, run.stderr);
    expect(run.status).toBe(0);
    expect(report.ended).toBe(true);
    expect(run.stdout).toContain('{"matched":0}');
  });

  it('reports a failing command and an unset variable', () => {
    const blocks = shellBlocks('```sh\nfalse\necho "$NOT_SET_ANYWHERE"\n```\n', 'Z.md');
    const run = spawnSync('bash', ['-c', scriptFor(blocks, { api: 1, catcher: 2 })], {
      encoding: 'utf8',
    });
    const report = readRun(run.stdout, run.stderr);
    expect(report.failures[0]).toMatch(/^@@fail block=0 status=1 command=false$/);
    expect(report.ended).toBe(false);
  });
});
