import { describe, expect, it } from '@jest/globals';
import { z } from 'zod';
import { fileImage, fileJobTypes, filePdfText } from './job-types.js';

describe('the files job types', () => {
  it('run on the files worker’s own queue with their defaults', () => {
    expect(fileJobTypes.map((t) => [t.name, t.queue, t.defaults.timeoutMs])).toEqual([
      ['file.image', undefined, 120_000],
      ['file.pdf-text', undefined, 300_000],
    ]);
  });

  it('give example payloads that their schemas accept', () => {
    for (const t of [fileImage, filePdfText]) {
      expect(t.examples.length).toBeGreaterThan(0);
      for (const e of t.examples) expect(t.payload.safeParse(e).success).toBe(true);
    }
  });

  it('publish JSON Schemas the API can check submissions with', () => {
    const image = z.toJSONSchema(fileImage.payload, { io: 'input' }) as {
      required: string[];
      properties: Record<string, { maxItems?: number }>;
    };
    expect(image.required).toEqual(['source', 'outputs']);
    expect(image.properties['outputs']?.maxItems).toBe(12);
    const pdf = z.toJSONSchema(filePdfText.payload, { io: 'input' }) as { required: string[] };
    expect(pdf.required).toEqual(['source']);
  });
});
