import { deflateSync } from 'node:zlib';
import PDFDocument from 'pdfkit';
import sharp from 'sharp';

/**
 * Test files made on the spot: images drawn by sharp itself, PDFs drawn by PDFKit, and the
 * hostile ones (a decompression bomb, a truncated file) built byte by byte.
 */

/** Options of {@link photo}. */
export interface PhotoOptions {
  /** @default 'jpeg' */
  format?: 'jpeg' | 'png' | 'webp' | 'avif';
  /** EXIF orientation (1–8) to record; the pixels stay as drawn. @default none */
  orientation?: number;
  /** Give the image an alpha channel with a transparent left half. @default false */
  alpha?: boolean;
}

/**
 * A `width` × `height` picture with structure (gradients and a few shapes, so that encoders
 * have real work and crops are visible): the left half red, the right half blue, a white
 * square in the top-left corner.
 */
export async function photo(
  width: number,
  height: number,
  opts: PhotoOptions = {},
): Promise<Buffer> {
  const half = Math.floor(width / 2);
  const square = Math.max(1, Math.floor(Math.min(width, height) / 8));
  const svg = Buffer.from(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">` +
      `<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1">` +
      `<stop offset="0" stop-color="#ff2020"/><stop offset="1" stop-color="#a00000"/></linearGradient></defs>` +
      `<rect x="0" y="0" width="${half}" height="${height}" fill="url(#g)"/>` +
      `<rect x="${half}" y="0" width="${width - half}" height="${height}" fill="#2040ff"/>` +
      `<rect x="0" y="0" width="${square}" height="${square}" fill="#ffffff"/>` +
      `<circle cx="${(width * 3) / 4}" cy="${height / 2}" r="${square}" fill="#ffd000"/>` +
      `</svg>`,
  );
  let image = sharp(svg);
  if (opts.alpha)
    image = image.ensureAlpha().composite([
      {
        input: {
          create: { width: half, height, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } },
        },
        blend: 'dest-out',
        left: 0,
        top: 0,
      },
    ]);
  if (opts.orientation !== undefined) image = image.withMetadata({ orientation: opts.orientation });
  switch (opts.format ?? 'jpeg') {
    case 'jpeg':
      return image.jpeg({ quality: 90 }).toBuffer();
    case 'png':
      return image.png().toBuffer();
    case 'webp':
      return image.webp().toBuffer();
    case 'avif':
      return image.avif().toBuffer();
  }
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(data: Buffer): number {
  let c = 0xffffffff;
  for (const byte of data) c = CRC_TABLE[(c ^ byte) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/**
 * A PNG decompression bomb: a valid `side` × `side` 1-bit greyscale image of zeros. The file
 * is a few tens of KiB; decoded to 8-bit pixels it needs `side²` bytes (20000 → 400 MB).
 */
export function pngBomb(side = 20_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(side, 0);
  ihdr.writeUInt32BE(side, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  // Each row: filter byte 0, then ceil(side / 8) zero bytes.
  const raw = Buffer.alloc((1 + Math.ceil(side / 8)) * side);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** The first `fraction` of a file's bytes, as an interrupted upload leaves it. */
export function truncated(file: Buffer, fraction = 0.5): Buffer {
  return file.subarray(0, Math.floor(file.length * fraction));
}

/** The text {@link pdfDocument} writes on page `n` (1-based). */
export const pageText = (n: number): string[] => [
  `Page ${n} of the Conveyor test document`,
  `Line two on page ${n}: café, naïve, 10 € (${(n * 7919) % 10007})`,
];

/**
 * A PDF of `pages` pages, each with the two lines of {@link pageText}, drawn by PDFKit;
 * encrypted when `userPassword` is given.
 */
export async function pdfDocument(
  pages: number,
  opts: { userPassword?: string } = {},
): Promise<Buffer> {
  const doc = new PDFDocument({
    autoFirstPage: false,
    compress: true,
    info: { Title: 'Conveyor test' },
    ...(opts.userPassword ? { userPassword: opts.userPassword, pdfVersion: '1.7' as const } : {}),
  });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const ended = new Promise<void>((resolve, reject) => {
    doc.on('end', resolve);
    doc.on('error', reject);
  });
  for (let n = 1; n <= pages; n++) {
    doc.addPage({ size: 'A4' });
    doc.font('Helvetica').fontSize(14);
    for (const line of pageText(n)) doc.text(line);
  }
  doc.end();
  await ended;
  return Buffer.concat(chunks);
}
