import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

describe('the README quick start', () => {
  it('is the compiled example, character for character', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Your own job types'));
    const block = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    const example = readFileSync(join(root, 'packages/sdk/src/examples/quick-start.ts'), 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('//'))
      .join('\n');
    expect(block).toBeDefined();
    expect(block).toBe(example);
  });
});
