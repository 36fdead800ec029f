import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { OutputFormat } from '@conveyor/contracts';
import { fromArray } from './iterables.js';
import type { DataRecord } from './record.js';
import { csvField, csvRow } from './csv-format.js';
import { writeRecords } from './write.js';

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'write-test-'));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A writable that keeps what it was given. */
function sink(): { stream: Writable; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      callback();
    },
  });
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

async function write(records: DataRecord[], format: OutputFormat) {
  const out = sink();
  const result = await writeRecords(
    fromArray(records),
    format,
    out.stream,
    new AbortController().signal,
    { tmpDir: tmp },
  );
  const text = out.text();
  expect(result).toEqual({ recordsOut: records.length, bytes: Buffer.byteLength(text) });
  return text;
}

const messy: DataRecord[] = [
  { name: 'Doe, Jane', note: 'said "hi"\nthen left', n: 10, ok: true },
  { name: 'Ōtani 東京', n: 1.5, ok: false, extra: null, 'a b': '<&>' },
  { note: '', '1st': "it's", 'xml-id': 'x' },
];

describe('csvField / csvRow', () => {
  it('quotes only fields holding a comma, quote, CR or LF', () => {
    expect(
      [
        'plain',
        'a,b',
        'say "x"',
        'a\rb',
        'a\nb',
        ' 42 ',
        '',
        null,
        undefined,
        1.5,
        true,
        false,
      ].map(csvField),
    ).toEqual([
      'plain',
      '"a,b"',
      '"say ""x"""',
      '"a\rb"',
      '"a\nb"',
      ' 42 ',
      '',
      '',
      '',
      '1.5',
      'true',
      'false',
    ]);
    expect(csvRow(['a', null, 'b,c'])).toBe('a,,"b,c"\r\n');
    expect(csvRow([''])).toBe('""\r\n');
    expect(csvRow([null, null])).toBe(',\r\n');
  });
});

describe('writeRecords', () => {
  it('writes json as an array, one record per line', async () => {
    expect(await write(messy, 'json')).toBe(
      '[\n' +
        '{"name":"Doe, Jane","note":"said \\"hi\\"\\nthen left","n":10,"ok":true},\n' +
        '{"name":"Ōtani 東京","n":1.5,"ok":false,"extra":null,"a b":"<&>"},\n' +
        '{"note":"","1st":"it\'s","xml-id":"x"}\n' +
        ']\n',
    );
    expect(await write([], 'json')).toBe('[]\n');
  });

  it('writes ndjson', async () => {
    expect(await write(messy.slice(0, 2), 'ndjson')).toBe(
      '{"name":"Doe, Jane","note":"said \\"hi\\"\\nthen left","n":10,"ok":true}\n' +
        '{"name":"Ōtani 東京","n":1.5,"ok":false,"extra":null,"a b":"<&>"}\n',
    );
    expect(await write([], 'ndjson')).toBe('');
  });

  it('writes RFC 4180 csv with the union of keys as header and cleans up its spool file', async () => {
    expect(await write(messy, 'csv')).toBe(
      'name,note,n,ok,extra,a b,1st,xml-id\r\n' +
        '"Doe, Jane","said ""hi""\nthen left",10,true,,,,\r\n' +
        'Ōtani 東京,,1.5,false,,<&>,,\r\n' +
        ",,,,,,it's,x\r\n",
    );
    expect(await write([], 'csv')).toBe('');
    expect(await readdir(tmp)).toEqual([]);
  });

  it('pads rows written before a key first appeared, also across spool chunks', async () => {
    expect(await write([{ a: 'x\r\ny' }, { a: '"q"', b: 1 }, {}, { c: 'z' }], 'csv')).toBe(
      'a,b,c\r\n"x\r\ny",,\r\n"""q""",1,\r\n,,\r\n,,z\r\n',
    );
    expect(await write([{}, { a: 1 }], 'csv')).toBe('a\r\n""\r\n1\r\n');
    const many: DataRecord[] = Array.from({ length: 5000 }, (_, i) => ({
      i,
      text: i % 3 ? `l\r\n${i},"${i}"` : 'é',
    }));
    many.push({ i: 5000, late: true });
    const expected = ['i,text,late\r\n'];
    for (const r of many) expected.push(csvRow([r.i, r.text, r.late]));
    expect(await write(many, 'csv')).toBe(expected.join(''));
  });

  it('writes xml with escaped values and <field name> for names that are not XML names', async () => {
    expect(await write(messy, 'xml')).toBe(
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<records>\n' +
        '  <record>\n' +
        '    <name>Doe, Jane</name>\n' +
        '    <note>said "hi"\nthen left</note>\n' +
        '    <n>10</n>\n' +
        '    <ok>true</ok>\n' +
        '  </record>\n' +
        '  <record>\n' +
        '    <name>Ōtani 東京</name>\n' +
        '    <n>1.5</n>\n' +
        '    <ok>false</ok>\n' +
        '    <extra/>\n' +
        '    <field name="a b">&lt;&amp;&gt;</field>\n' +
        '  </record>\n' +
        '  <record>\n' +
        '    <note/>\n' +
        '    <field name="1st">it\'s</field>\n' +
        '    <field name="xml-id">x</field>\n' +
        '  </record>\n' +
        '</records>\n',
    );
  });

  it('escapes quotes in attribute names, keeps CR and replaces characters XML cannot hold', async () => {
    expect(
      await write([{ 'say "x" & <y>': 'a\u0001b', ok: '\uD83D\uDE00', t: 'x\r\ny]]>' }], 'xml'),
    ).toContain(
      '    <field name="say &quot;x&quot; &amp; &lt;y&gt;">a\uFFFDb</field>\n' +
        '    <ok>\uD83D\uDE00</ok>\n' +
        '    <t>x&#xD;\ny]]&gt;</t>\n',
    );
    expect(await write([], 'xml')).toBe('<?xml version="1.0" encoding="UTF-8"?>\n<records/>\n');
  });

  it('pulls records only as fast as the output takes them (backpressure)', async () => {
    let pulled = 0;
    async function* many(): AsyncGenerator<DataRecord> {
      for (let i = 0; i < 200_000; i++) {
        pulled++;
        yield { i, text: 'x'.repeat(100) };
      }
    }
    const callbacks: (() => void)[] = [];
    const stalled = new Writable({
      highWaterMark: 1024,
      write(_chunk, _encoding, callback) {
        callbacks.push(() => callback());
      },
    });
    const done = writeRecords(many(), 'ndjson', stalled, new AbortController().signal);
    await new Promise((resolve) => setTimeout(resolve, 200));
    // n.b. 200k records are ~23 MB; a stalled output must hold back all but a few batches
    expect(pulled).toBeGreaterThan(0);
    expect(pulled).toBeLessThan(10_000);
    stalled.destroy(new Error('output gone'));
    await expect(done).rejects.toThrow('output gone');
  });

  it('rejects with the abort reason and destroys the output', async () => {
    const controller = new AbortController();
    async function* endless(): AsyncGenerator<DataRecord> {
      for (let i = 0; ; i++) {
        if (i === 100) controller.abort(new Error('cancelled'));
        yield { i };
      }
    }
    const out = sink();
    await expect(
      writeRecords(endless(), 'csv', out.stream, controller.signal, { tmpDir: tmp }),
    ).rejects.toThrow('cancelled');
    expect(out.stream.destroyed).toBe(true);
    expect(await readdir(tmp)).toEqual([]);
  });
});
