import { describe, expect, it } from '@jest/globals';
import { fileImagePayloadSchema, planOutputs } from './options.js';

const source = { uploadId: '0123456789abcdef01234567' };

describe('file.image payload', () => {
  it('fills in the defaults of an output', () => {
    const p = fileImagePayloadSchema.parse({ source, outputs: [{ resize: { width: 320 } }] });
    expect(p.outputs[0]).toEqual({
      format: 'webp',
      resize: { width: 320, fit: 'inside', position: 'centre', upscale: false },
      autoOrient: true,
      metadata: 'strip',
    });
    expect(planOutputs(p.outputs)).toEqual([expect.objectContaining({ name: '1', quality: 80 })]);
  });

  it('takes the quality given, and none for PNG', () => {
    const p = fileImagePayloadSchema.parse({
      source: { artifactId: 'abcdefabcdefabcdefabcdef' },
      outputs: [
        { format: 'avif' },
        { format: 'jpeg', quality: 95 },
        { format: 'png', quality: 10 },
      ],
    });
    expect(planOutputs(p.outputs).map((o) => o.quality)).toEqual([50, 95, undefined]);
  });

  it.each([
    [{ source: {}, outputs: [{}] }, 'source'],
    [{ source: { uploadId: 'nope' }, outputs: [{}] }, 'source.uploadId'],
    [{ source, outputs: [] }, 'outputs'],
    [{ source, outputs: Array.from({ length: 13 }, () => ({})) }, 'outputs'],
    [{ source, outputs: [{ format: 'gif' }] }, 'outputs.0.format'],
    [{ source, outputs: [{ resize: {} }] }, 'outputs.0.resize'],
    [{ source, outputs: [{ resize: { width: 0 } }] }, 'outputs.0.resize.width'],
    [{ source, outputs: [{ resize: { width: 20_000 } }] }, 'outputs.0.resize.width'],
    [
      { source, outputs: [{ resize: { width: 9, position: 'attention' } }] },
      'outputs.0.resize.position',
    ],
    [
      { source, outputs: [{ resize: { width: 9, background: 'red' } }] },
      'outputs.0.resize.background',
    ],
    [{ source, outputs: [{ quality: 101 }] }, 'outputs.0.quality'],
    [
      { source, outputs: [{ crop: { left: -1, top: 0, width: 1, height: 1 } }] },
      'outputs.0.crop.left',
    ],
    [{ source, outputs: [{ name: 'a' }, { name: 'a' }] }, 'outputs.1.name'],
    [{ source, outputs: [{ name: '../x' }] }, 'outputs.0.name'],
    [{ source, outputs: [{}], extra: 1 }, ''],
  ])('refuses %j at %s', (payload, path) => {
    const res = fileImagePayloadSchema.safeParse(payload);
    expect(res.success).toBe(false);
    expect(res.error!.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
