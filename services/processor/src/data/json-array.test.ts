import { describe, expect, it } from '@jest/globals';
import { PermanentJobError } from '@conveyor/jobs';
import { JsonArraySplitter } from './json-array.js';

function split(chunks: string[]): string[] {
  const s = new JsonArraySplitter();
  const out = chunks.flatMap((c) => s.push(c).map((e) => e.text));
  s.end();
  return out;
}

describe('JsonArraySplitter', () => {
  const text = '\uFEFF [ {"a":"x]}\\"{,"} ,\n{"b":[1,{"c":2}]},{} ]\n';

  it('splits top-level elements whatever the chunk boundaries', () => {
    const expected = ['{"a":"x]}\\"{,"}', '{"b":[1,{"c":2}]}', '{}'];
    expect(split([text])).toEqual(expected);
    expect(split([...text])).toEqual(expected);
    expect(split([text.slice(0, 9), text.slice(9, 30), text.slice(30)])).toEqual(expected);
  });

  it('reports index and line of each element', () => {
    const s = new JsonArraySplitter();
    expect(s.push('[\n{"a":1},\n\n{"a":2}]').map((e) => [e.index, e.line])).toEqual([
      [1, 2],
      [2, 4],
    ]);
  });

  it('accepts an empty array', () => {
    expect(split(['[', ' ]'])).toEqual([]);
  });

  it.each([
    ['', 'JSON line 1: input is empty, expected a JSON array'],
    ['{"a":1}', 'JSON line 1: expected a JSON array'],
    ['[{"a":1},\n 2]', 'JSON line 2: record 2 is not an object'],
    ['[{"a":1} {"a":2}]', 'JSON line 1: expected "," or "]" after record 1'],
    ['[{"a":1},]', 'JSON line 1: a "," after record 1 ends the array'],
    ['[{"a":1}] x', 'JSON line 1: unexpected content after the JSON array'],
    ['[{"a":1},{"a":"}', 'JSON line 1: input ended inside record 2'],
    ['[{"a":1}', 'JSON line 1: input ended before the JSON array was closed'],
  ])('rejects %j', (input, message) => {
    expect(() => split([input])).toThrow(message);
  });

  it('throws PermanentJobError with code INVALID_INPUT', () => {
    let thrown: unknown;
    try {
      split(['nope']);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(PermanentJobError);
    expect((thrown as PermanentJobError).code).toBe('INVALID_INPUT');
  });
});
