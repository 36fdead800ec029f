import { formatNumber } from './report-data.js';

/** The part of PDFKit's document a chart draws with (vector primitives only). */
type Doc = PDFKit.PDFDocument;

/** Where on the page a chart goes, in PDF points. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const AXIS = '#444444';
const GRID = '#dddddd';
const BAR = '#2f6fb0';
const LINE = '#c0392b';

/** A "nice" axis maximum (1, 2 or 5 times a power of ten) at or above `max`. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const pow = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * pow >= max) return m * pow;
  return 10 * pow;
}

/**
 * Draws a bar or line chart of `values` (one per label) in `box`: title, y axis with four
 * grid lines and their values, the bars or the line with its points, and the labels under
 * the x axis (thinned out so they never overlap). Negative values are drawn as zero.
 */
export function drawChart(
  doc: Doc,
  box: Box,
  chart: { type: 'bar' | 'line'; title: string; labels: string[]; values: number[] },
): void {
  const top = box.y + 18;
  const left = box.x + 44;
  const bottom = box.y + box.height - 28;
  const right = box.x + box.width;
  const plotH = bottom - top;
  const plotW = right - left;
  doc.save();
  doc.font('Helvetica-Bold').fontSize(10).fillColor('#000000');
  doc.text(chart.title, box.x, box.y, { width: box.width, align: 'center', lineBreak: false });

  const max = niceMax(Math.max(0, ...chart.values));
  doc.font('Helvetica').fontSize(7);
  for (let i = 0; i <= 4; i++) {
    const y = bottom - (plotH * i) / 4;
    doc
      .moveTo(left, y)
      .lineTo(right, y)
      .lineWidth(0.5)
      .strokeColor(i === 0 ? AXIS : GRID)
      .stroke();
    doc.fillColor(AXIS).text(formatNumber((max * i) / 4), box.x, y - 3, {
      width: 40,
      align: 'right',
      lineBreak: false,
    });
  }
  doc.moveTo(left, top).lineTo(left, bottom).lineWidth(0.8).strokeColor(AXIS).stroke();

  const n = chart.values.length;
  if (n > 0) {
    const slot = plotW / n;
    const height = (v: number) => (plotH * Math.max(0, v)) / max;
    if (chart.type === 'bar') {
      const barW = Math.max(1, slot * 0.7);
      chart.values.forEach((v, i) => {
        const h = height(v);
        if (h > 0) doc.rect(left + i * slot + (slot - barW) / 2, bottom - h, barW, h).fill(BAR);
      });
    } else {
      const point = (i: number) =>
        [left + i * slot + slot / 2, bottom - height(chart.values[i]!)] as const;
      const [x0, y0] = point(0);
      doc.moveTo(x0, y0);
      for (let i = 1; i < n; i++) doc.lineTo(...point(i));
      doc.lineWidth(1.5).strokeColor(LINE).stroke();
      for (let i = 0; i < n; i++) doc.circle(...point(i), 2).fill(LINE);
    }
    const every = Math.max(1, Math.ceil((n * 36) / plotW));
    doc.fillColor(AXIS).fontSize(7);
    chart.labels.forEach((label, i) => {
      if (i % every !== 0) return;
      doc.text(label.slice(0, 14), left + i * slot + slot / 2 - 30, bottom + 4, {
        width: 60,
        align: 'center',
        lineBreak: false,
      });
    });
  }
  doc.restore();
}
