import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { formatBytes } from './input-error.js';
import { baseName, fileSourceSchema } from './source.js';

describe('baseName', () => {
  it.each([
    ['holiday.jpg', 'holiday'],
    ['report.final.pdf', 'report.final'],
    ['C:\\Users\\me\\scan 01.tiff', 'scan_01'],
    ['../../etc/passwd', 'passwd'],
    ['.hidden.png', 'hidden'],
    ['Über café.webp', 'Uber_cafe'],
    ['写真 (1).jpg', '1'],
    ['写真.jpg', 'file'],
    ['', 'file'],
    ['.jpg', 'file'],
  ])('%j -> %j', (name, base) => {
    expect(baseName(name)).toBe(base);
  });
});

describe('fileSourceSchema', () => {
  it('says "exactly one" in its JSON Schema too, at the source itself', () => {
    expect(z.toJSONSchema(fileSourceSchema, { io: 'input' })).toMatchObject({
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      additionalProperties: false,
    });
    expect(fileSourceSchema.parse({ artifactId: 'b'.repeat(24) })).toEqual({
      artifactId: 'b'.repeat(24),
    });
    const none = fileSourceSchema.safeParse({});
    expect(none.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['', 'give exactly one of uploadId and artifactId'],
    ]);
  });

  it('takes one upload or one artifact id', () => {
    expect(fileSourceSchema.safeParse({ uploadId: 'a'.repeat(24) }).success).toBe(true);
    expect(fileSourceSchema.safeParse({ artifactId: 'b'.repeat(24) }).success).toBe(true);
    expect(
      fileSourceSchema.safeParse({ uploadId: 'a'.repeat(24), artifactId: 'b'.repeat(24) }).success,
    ).toBe(false);
    expect(fileSourceSchema.safeParse({ uploadId: 'A'.repeat(24) }).success).toBe(false);
  });
});

describe('formatBytes', () => {
  it('names bytes, KiB and MiB', () => {
    expect([formatBytes(512), formatBytes(800 * 1024), formatBytes(50 * 1024 * 1024)]).toEqual([
      '512 B',
      '800 KiB',
      '50 MiB',
    ]);
  });
});
