import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** A grey-scale raster of one page (PGM), 0 = black, 255 = white. */
export interface PageRaster {
  width: number;
  height: number;
  pixels: Buffer;
}

async function inTemp<T>(pdf: Buffer, fn: (dir: string, file: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'conveyor-pdf-'));
  try {
    const file = join(dir, 'report.pdf');
    await writeFile(file, pdf);
    return await fn(dir, file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function missingTool(err: unknown, tool: string): Error {
  return (err as { code?: string }).code === 'ENOENT'
    ? new Error(`${tool} is missing: install poppler-utils (apt-get install poppler-utils)`)
    : (err as Error);
}

/** The PDF's text, by poppler's `pdftotext -layout` (throws when the PDF is not valid). */
export async function pdfText(pdf: Buffer): Promise<string> {
  return inTemp(pdf, async (_dir, file) => {
    try {
      return (await run('pdftotext', ['-layout', file, '-'])).stdout;
    } catch (err) {
      throw missingTool(err, 'pdftotext');
    }
  });
}

/** Page count and more, by poppler's `pdfinfo`. */
export async function pdfPages(pdf: Buffer): Promise<number> {
  return inTemp(pdf, async (_dir, file) => {
    try {
      const { stdout } = await run('pdfinfo', [file]);
      return Number(/^Pages:\s+(\d+)/m.exec(stdout)?.[1] ?? NaN);
    } catch (err) {
      throw missingTool(err, 'pdfinfo');
    }
  });
}

/** Page `page` rendered at 72 dpi (1 pixel = 1 point) by poppler's `pdftoppm -gray`. */
export async function renderPage(pdf: Buffer, page = 1): Promise<PageRaster> {
  return inTemp(pdf, async (dir, file) => {
    try {
      await run('pdftoppm', [
        '-f',
        String(page),
        '-l',
        String(page),
        '-r',
        '72',
        '-gray',
        file,
        join(dir, 'page'),
      ]);
    } catch (err) {
      throw missingTool(err, 'pdftoppm');
    }
    const { stdout } = await run('ls', [dir]);
    const name = stdout.split('\n').find((n) => n.endsWith('.pgm'));
    if (!name) throw new Error('pdftoppm wrote no page');
    const pgm = await readFile(join(dir, name));
    // P5 <width> <height> <max>\n<bytes>
    const header = /^P5\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(pgm.subarray(0, 50).toString('latin1'));
    if (!header) throw new Error('pdftoppm output is not a binary PGM');
    const width = Number(header[1]);
    const height = Number(header[2]);
    return {
      width,
      height,
      pixels: pgm.subarray(header[0].length, header[0].length + width * height),
    };
  });
}

/** Share of pixels darker than `threshold` in a rectangle (points = pixels at 72 dpi). */
export function inkShare(
  r: PageRaster,
  box: { x: number; y: number; width: number; height: number },
  threshold = 200,
): number {
  let dark = 0;
  let all = 0;
  for (let y = Math.floor(box.y); y < Math.min(r.height, box.y + box.height); y++)
    for (let x = Math.floor(box.x); x < Math.min(r.width, box.x + box.width); x++) {
      all++;
      if (r.pixels[y * r.width + x]! < threshold) dark++;
    }
  return all === 0 ? 0 : dark / all;
}
