import { Readable } from 'node:stream';
import { describe, expect, it } from '@jest/globals';
import type { InputFormat } from '@conveyor/contracts';
import { PermanentJobError } from '@conveyor/jobs';
import { collect } from './iterables.js';
import { readRecords } from './read.js';

/** A byte stream of `text` cut into chunks of `size` bytes (to cross every boundary). */
function bytes(text: string, size = 1 << 16): Readable {
  const buf = Buffer.from(text);
  const chunks: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) chunks.push(buf.subarray(i, i + size));
  return Readable.from(chunks);
}

async function read(text: string, format: InputFormat, size?: number) {
  return collect(readRecords(bytes(text, size), format));
}

async function failure(text: string, format: InputFormat): Promise<PermanentJobError> {
  try {
    await read(text, format);
  } catch (err) {
    expect(err).toBeInstanceOf(PermanentJobError);
    expect((err as PermanentJobError).code).toBe('INVALID_INPUT');
    return err as PermanentJobError;
  }
  throw new Error('expected the input to be rejected');
}

describe('readRecords csv', () => {
  const messy =
    '\uFEFFname,city,"amount, EUR",note\r\n' +
    '"Doe, Jane",Zürich, 42 ,"said ""hi""\nthen left"\r\n' +
    '\r\n' +
    'Ōtani,東京,1e3,\n' +
    ',,,\n';

  it('reads RFC 4180 with BOM, quoted commas, quotes and newlines, skipping blank lines', async () => {
    const expected = [
      { name: 'Doe, Jane', city: 'Zürich', 'amount, EUR': ' 42 ', note: 'said "hi"\nthen left' },
      { name: 'Ōtani', city: '東京', 'amount, EUR': '1e3', note: '' },
      { name: '', city: '', 'amount, EUR': '', note: '' },
    ];
    expect(await read(messy, 'csv')).toEqual(expected);
    // n.b. 1-byte chunks split the BOM, multi-byte characters and quoted fields
    expect(await read(messy, 'csv', 1)).toEqual(expected);
  });

  it('accepts mixed line ends', async () => {
    expect(await read('a,b\n1,2\r\n3,"x\r\ny"\r4,5', 'csv')).toEqual([
      { a: '1', b: '2' },
      { a: '3', b: 'x\r\ny' },
      { a: '4', b: '5' },
    ]);
  });

  it('reads a header-only or empty file as no records', async () => {
    expect(await read('a,b\n', 'csv')).toEqual([]);
    expect(await read('', 'csv')).toEqual([]);
  });

  it('rejects a row with the wrong number of fields, naming its line', async () => {
    const err = await failure('a,b\n1,2\n\n3\n', 'csv');
    expect(err.message).toMatch(/^CSV line 4: /);
  });

  it('rejects an unclosed quote', async () => {
    expect((await failure('a,b\n1,"2\n', 'csv')).message).toMatch(/^CSV line \d+: .*[Qq]uote/);
  });

  it('rejects a header that repeats a column', async () => {
    expect((await failure('a,b,a\n1,2,3\n', 'csv')).message).toBe(
      'CSV line 1: the header repeats the column "a"',
    );
  });

  it('keeps keys such as __proto__ as plain fields', async () => {
    const [record] = await read('__proto__,constructor\nx,y\n', 'csv');
    expect(Object.keys(record ?? {})).toEqual(['__proto__', 'constructor']);
    expect(record?.['__proto__']).toBe('x');
  });
});

describe('readRecords json', () => {
  it('streams an array of flat objects, keeping value types', async () => {
    const text = '\uFEFF[{"a":"x, \\"y\\"","n":10,"b":true,"z":null},\n {"é":"ü"}]';
    const expected = [{ a: 'x, "y"', n: 10, b: true, z: null }, { é: 'ü' }];
    expect(await read(text, 'json')).toEqual(expected);
    expect(await read(text, 'json', 1)).toEqual(expected);
  });

  it('rejects invalid JSON inside an element, naming the record and line', async () => {
    expect((await failure('[{"a":1},\n{"a":01}]', 'json')).message).toMatch(
      /^JSON record 2 \(line 2\): invalid JSON/,
    );
  });

  it('rejects an element that is not a flat object of scalars', async () => {
    expect((await failure('[{"a":1},{"a":{"b":2}}]', 'json')).message).toBe(
      'JSON record 2 (line 1): a record must be an object of strings, numbers, booleans and nulls',
    );
    expect((await failure('[{"a":[1]}]', 'json')).message).toMatch(/^JSON record 1 /);
    expect((await failure('[1]', 'json')).message).toBe('JSON line 1: record 1 is not an object');
  });
});

describe('readRecords ndjson', () => {
  it('reads one object per line, skipping blank lines, with CRLF and no final newline', async () => {
    const text = '\uFEFF{"a":1}\r\n\r\n  \n{"a":"ü","b":null}';
    expect(await read(text, 'ndjson')).toEqual([{ a: 1 }, { a: 'ü', b: null }]);
    expect(await read(text, 'ndjson', 1)).toEqual([{ a: 1 }, { a: 'ü', b: null }]);
  });

  it('rejects a bad line, naming it', async () => {
    expect((await failure('{"a":1}\n\n{"a":\n', 'ndjson')).message).toMatch(
      /^NDJSON line 3: invalid JSON/,
    );
    expect((await failure('{"a":1}\n[1]\n', 'ndjson')).message).toMatch(
      /^NDJSON line 2: a record must be/,
    );
  });
});

describe('readRecords lifetime', () => {
  it.each(['csv', 'json', 'ndjson'] as const)(
    'destroys the %s input when iteration stops early',
    async (format) => {
      const text = {
        csv: 'a\n1\n2\n3\n',
        json: '[{"a":1},{"a":2},{"a":3}]',
        ndjson: '{"a":1}\n{"a":2}\n{"a":3}\n',
      }[format];
      const input = bytes(text, 4);
      for await (const record of readRecords(input, format)) {
        expect(record).toEqual({ a: format === 'csv' ? '1' : 1 });
        break;
      }
      expect(input.destroyed).toBe(true);
    },
  );
});
