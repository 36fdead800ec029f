import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from '@jest/globals';
import sharp from 'sharp';
import { InputError } from '../input-error.js';
import { photo, pngBomb, truncated } from '../testing/fixtures.js';
import { imageOutputSchema, planOutputs, type ImageOutputInput } from './options.js';
import { renderImage, type RenderImageOptions } from './pipeline.js';

const LIMITS = { maxPixels: 50_000_000, maxBytes: 32 * 1024 * 1024 };

/** Renders `file` into memory: each output's bytes by name. */
async function render(
  file: Buffer,
  outputs: ImageOutputInput[],
  over: Partial<RenderImageOptions<Buffer>> = {},
) {
  const files = new Map<string, Buffer>();
  const progress: number[] = [];
  const result = await renderImage(
    Readable.from(chunks(file)),
    planOutputs(outputs.map((o) => imageOutputSchema.parse(o))),
    {
      ...LIMITS,
      sink: async (out, body) => {
        const bytes = await buffer(body);
        files.set(out.name, bytes);
        return bytes;
      },
      onOutput: (done) => progress.push(done),
      ...over,
    },
  );
  return { ...result, files, progress };
}

/** A file in 64 KiB pieces, as a store streams it. */
function* chunks(file: Buffer): Generator<Buffer> {
  for (let i = 0; i < file.length; i += 65_536) yield file.subarray(i, i + 65_536);
}

async function failure(promise: Promise<unknown>): Promise<InputError> {
  const err = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  return err as InputError;
}

describe('renderImage', () => {
  it('makes four outputs of different formats, sizes and fits from one JPEG', async () => {
    const input = await photo(1600, 1200);
    const { source, outputs, files, progress } = await render(input, [
      { name: 'thumb', format: 'webp', resize: { width: 160, height: 160, fit: 'cover' } },
      { name: 'boxed', format: 'png', resize: { width: 300, height: 300, fit: 'contain' } },
      { name: 'medium', format: 'avif', resize: { width: 800 }, quality: 40 },
      { name: 'same', format: 'jpeg' },
    ]);
    expect(source).toEqual({ format: 'jpeg', width: 1600, height: 1200, bytes: input.length });
    expect(outputs.map((o) => [o.spec.name, o.format, o.width, o.height])).toEqual([
      ['thumb', 'webp', 160, 160],
      ['boxed', 'png', 300, 300],
      ['medium', 'avif', 800, 600],
      ['same', 'jpeg', 1600, 1200],
    ]);
    for (const o of outputs) {
      const meta = await sharp(files.get(o.spec.name)!).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([
        o.format === 'avif' ? 'heif' : o.format,
        o.width,
        o.height,
      ]);
      expect(o.bytes).toBe(files.get(o.spec.name)!.length);
    }
    expect(progress).toEqual([1, 2, 3, 4]);
    // contain: the 4:3 picture sits in the middle, transparent bars above and below it
    const boxed = await sharp(files.get('boxed')!).raw().toBuffer({ resolveWithObject: true });
    expect(boxed.info.channels).toBe(4);
    expect(boxed.data[3]).toBe(0); // top-left pixel: transparent
    const mid = (150 * 300 + 150) * 4;
    expect(boxed.data[mid + 3]).toBe(255);
  });

  it('never enlarges unless asked', async () => {
    const input = await photo(200, 100, { format: 'png' });
    const { outputs } = await render(input, [
      { name: 'kept', resize: { width: 400 } },
      { name: 'enlarged', resize: { width: 400, upscale: true } },
    ]);
    expect(outputs.map((o) => [o.width, o.height])).toEqual([
      [200, 100],
      [400, 200],
    ]);
  });

  it('turns the image upright by its EXIF orientation, then crops it', async () => {
    // Stored 400×200 with orientation 6 (rotate 90° clockwise to view): upright 200×400.
    const input = await photo(400, 200, { orientation: 6 });
    const { source, outputs, files } = await render(input, [
      { name: 'upright', format: 'png' },
      { name: 'asis', format: 'png', autoOrient: false },
      { name: 'crop', format: 'png', crop: { left: 0, top: 0, width: 200, height: 100 } },
    ]);
    expect([source.width, source.height]).toEqual([200, 400]);
    expect(outputs.map((o) => [o.width, o.height])).toEqual([
      [200, 400],
      [400, 200],
      [200, 100],
    ]);
    // The stored top-left white square is at the top-right once upright.
    const px = async (name: string, x: number, y: number) => {
      const { data, info } = await sharp(files.get(name)!)
        .raw()
        .toBuffer({ resolveWithObject: true });
      const at = (y * info.width + x) * info.channels;
      return [data[at]!, data[at + 1]!, data[at + 2]!];
    };
    expect((await px('upright', 195, 5)).every((c) => c > 230)).toBe(true);
    expect((await px('asis', 5, 5)).every((c) => c > 230)).toBe(true);
    expect((await px('upright', 5, 5)).every((c) => c > 230)).toBe(false);
  });

  it('strips metadata by default and keeps it when asked', async () => {
    const input = await photo(300, 200, { orientation: 3 });
    const { files } = await render(input, [
      { name: 'stripped', format: 'jpeg' },
      { name: 'kept', format: 'jpeg', metadata: 'keep' },
    ]);
    expect((await sharp(files.get('stripped')!).metadata()).exif).toBeUndefined();
    const kept = await sharp(files.get('kept')!).metadata();
    expect(kept.exif).toBeInstanceOf(Buffer);
    // n.b. turned upright, so the orientation it keeps is "as stored"
    expect(kept.orientation ?? 1).toBe(1);
  });

  it('flattens transparency onto white for JPEG', async () => {
    const input = await photo(100, 100, { format: 'png', alpha: true });
    const { files } = await render(input, [{ name: 'flat', format: 'jpeg' }]);
    const { data } = await sharp(files.get('flat')!).raw().toBuffer({ resolveWithObject: true });
    expect([data[0]!, data[1]!, data[2]!].every((c) => c > 240)).toBe(true);
  });

  it('refuses a decompression bomb from its header, before decoding it', async () => {
    const bomb = pngBomb(20_000);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const err = await failure(render(bomb, [{ resize: { width: 100 } }]));
    expect(err.code).toBe('IMAGE_TOO_MANY_PIXELS');
    expect(err.message).toContain('more than 50000000 pixels');
    expect(err.message).toContain('decompression bomb');
  });

  it('fails a truncated JPEG as corrupt', async () => {
    const err = await failure(
      render(truncated(await photo(800, 600)), [{ resize: { width: 100 } }]),
    );
    expect(err.code).toBe('IMAGE_CORRUPT');
    expect(err.message).toMatch(/cannot be decoded: .*premature end/i);
  });

  it('fails a file that is not an image, and an image format it does not read', async () => {
    const text = await failure(render(Buffer.from('%PDF-1.7\nnot an image at all\n'), [{}]));
    expect(text.code).toBe('IMAGE_UNSUPPORTED_FORMAT');
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>');
    const vector = await failure(render(svg, [{}]));
    expect(vector.code).toBe('IMAGE_UNSUPPORTED_FORMAT');
    expect(vector.message).toContain('SVG');
  });

  it('fails an input over the byte limit while reading it', async () => {
    const input = await photo(1000, 1000, { format: 'png' });
    const err = await failure(render(input, [{}], { maxBytes: 10_000 }));
    expect(err.code).toBe('FILE_TOO_LARGE');
  });

  it('fails a crop outside the image, naming the output', async () => {
    const err = await failure(
      render(await photo(300, 200), [
        { name: 'bad', crop: { left: 250, top: 0, width: 100, height: 10 } },
      ]),
    );
    expect(err.code).toBe('IMAGE_BAD_OPTIONS');
    expect(err.message).toContain('output bad');
  });

  it('passes a store failure through unchanged (it may be retried)', async () => {
    const storeDown = new Error('store unavailable');
    const err = await renderImage(
      Readable.from([await photo(200, 200)]),
      planOutputs([imageOutputSchema.parse({})]),
      {
        ...LIMITS,
        sink: async (_out, body) => {
          body.resume();
          throw storeDown;
        },
      },
    ).catch((e: unknown) => e);
    expect(err).toBe(storeDown);
  });

  it('stops when its signal aborts, with the signal reason', async () => {
    const ac = new AbortController();
    const reason = new Error('cancelled');
    const input = new Readable({ read() {} });
    const run = renderImage(input, planOutputs([imageOutputSchema.parse({})]), {
      ...LIMITS,
      signal: ac.signal,
      sink: (_out, body) => buffer(body),
    });
    input.push(Buffer.alloc(100));
    ac.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(input.destroyed).toBe(true);
  });
});
