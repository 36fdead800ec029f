/** One headline number of a report. */
export interface Figure {
  label: string;
  value: string;
}

/** What a report shows; built from a source, then drawn (see `renderReportPdf`). */
export interface ReportData {
  title: string;
  subtitle: string;
  figures: Figure[];
  chart: {
    type: 'bar' | 'line';
    title: string;
    labels: string[];
    values: number[];
  };
  table: {
    title: string;
    columns: string[];
    rows: string[][];
    /** Rows the source had beyond those printed. */
    omitted: number;
  };
  /** Records (or jobs) the report covers. */
  records: number;
}

/** Formats a number for print: integers as is, others with up to two decimals. */
export function formatNumber(n: number): string {
  if (!Number.isFinite(n)) return '-';
  return Number.isInteger(n)
    ? String(n)
    : n.toLocaleString('en-US', { maximumFractionDigits: 2, useGrouping: false });
}

/**
 * Sums of a value per category in order of first appearance, keeping at most `max`
 * categories; later ones are added up under "other" (bounded memory on any input).
 */
export class CategorySums {
  private readonly sums = new Map<string, number>();
  private other = 0;
  private hasOther = false;

  constructor(private readonly max: number) {}

  add(category: string, value: number): void {
    const current = this.sums.get(category);
    if (current !== undefined) this.sums.set(category, current + value);
    else if (this.sums.size < this.max) this.sums.set(category, value);
    else {
      this.other += value;
      this.hasOther = true;
    }
  }

  /** Categories and their sums (with "other" last when some did not fit). */
  series(): { labels: string[]; values: number[] } {
    const labels = [...this.sums.keys()];
    const values = [...this.sums.values()];
    if (this.hasOther) {
      labels.push('other');
      values.push(this.other);
    }
    return { labels, values };
  }
}
