import PDFDocument from 'pdfkit';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { drawChart, type Box } from './chart.js';
import type { ReportData } from './report-data.js';

/** A4 in points; margins. */
const PAGE = { width: 595.28, height: 841.89, margin: 50 };

/** Where page 1's chart is drawn (points from the top left): tests look for ink here. */
export const CHART_BOX: Box = {
  x: PAGE.margin,
  y: 220,
  width: PAGE.width - 2 * PAGE.margin,
  height: 250,
};

const ROW_H = 14;

/**
 * Draws the report into `out` as a PDF and resolves when `out` has taken every byte. PDFKit
 * writes each page out once the next one begins, so memory holds one page, not the report.
 */
export async function renderReportPdf(
  data: ReportData,
  out: Writable,
  generatedAt = new Date(),
): Promise<void> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: PAGE.margin,
    info: { Title: data.title, Producer: 'Conveyor', Creator: 'Conveyor report.generate' },
  });
  const done = finished(out);
  doc.pipe(out);

  doc
    .font('Helvetica-Bold')
    .fontSize(20)
    .text(data.title, PAGE.margin, PAGE.margin, {
      width: PAGE.width - 2 * PAGE.margin,
    });
  doc.font('Helvetica').fontSize(9).fillColor('#555555');
  doc.text(`${data.subtitle}. Generated ${generatedAt.toISOString()}.`);

  // Summary figures: a row of boxes, label over value.
  const figW = (PAGE.width - 2 * PAGE.margin) / Math.max(1, Math.min(6, data.figures.length));
  data.figures.slice(0, 6).forEach((f, i) => {
    const x = PAGE.margin + i * figW;
    doc
      .rect(x + 2, 120, figW - 4, 70)
      .lineWidth(0.5)
      .strokeColor('#bbbbbb')
      .stroke();
    doc.fillColor('#555555').font('Helvetica').fontSize(8);
    doc.text(f.label, x + 6, 128, { width: figW - 12, lineBreak: false });
    doc.fillColor('#000000').font('Helvetica-Bold').fontSize(16);
    doc.text(f.value, x + 6, 150, { width: figW - 12, lineBreak: false });
  });
  if (data.figures.length > 6) {
    doc.font('Helvetica').fontSize(8).fillColor('#000000');
    doc.text(
      data.figures
        .slice(6)
        .map((f) => `${f.label}: ${f.value}`)
        .join('   '),
      PAGE.margin,
      198,
    );
  }

  drawChart(doc, CHART_BOX, data.chart);

  let y = CHART_BOX.y + CHART_BOX.height + 20;
  doc.fillColor('#000000').font('Helvetica-Bold').fontSize(11);
  doc.text(data.table.title, PAGE.margin, y);
  y += 18;
  const cols = Math.max(1, data.table.columns.length);
  const colW = (PAGE.width - 2 * PAGE.margin) / cols;
  const row = (cells: string[], bold: boolean) => {
    if (y > PAGE.height - PAGE.margin - ROW_H) {
      doc.addPage();
      y = PAGE.margin;
    }
    doc
      .font(bold ? 'Helvetica-Bold' : 'Helvetica')
      .fontSize(8)
      .fillColor('#000000');
    cells.forEach((c, i) =>
      doc.text(c.slice(0, 60), PAGE.margin + i * colW, y, {
        width: colW - 4,
        height: ROW_H,
        lineBreak: false,
        ellipsis: true,
      }),
    );
    y += ROW_H;
    doc
      .moveTo(PAGE.margin, y - 3)
      .lineTo(PAGE.width - PAGE.margin, y - 3)
      .lineWidth(0.3)
      .strokeColor('#dddddd')
      .stroke();
  };
  row(data.table.columns, true);
  for (const r of data.table.rows) row(r, false);
  if (data.table.omitted > 0) row([`… and ${data.table.omitted} more`], false);
  doc.end();
  await done;
}
