/**
 * The anchor a Markdown renderer gives a heading (GitHub's rule): lower case, punctuation
 * other than `-` and `_` dropped, spaces made `-`.
 */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');
}

/** The `#`-level headings of a Markdown text (fenced code skipped), in order. */
export function headings(markdown: string, level: number): string[] {
  const out: string[] = [];
  let fenced = false;
  const prefix = `${'#'.repeat(level)} `;
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && line.startsWith(prefix)) out.push(line.slice(prefix.length).trim());
  }
  return out;
}

/** Every anchor of a Markdown text's headings, whatever their level. */
export function anchors(markdown: string): Set<string> {
  const all = new Set<string>();
  for (let level = 1; level <= 6; level++)
    for (const h of headings(markdown, level)) all.add(headingAnchor(h));
  return all;
}

/**
 * The rows of the first Markdown table under the heading `## <section>` (or of the whole
 * text's first table when `section` is omitted): each row's cells, trimmed, header and
 * separator row dropped.
 */
export function tableRows(markdown: string, section?: string): string[][] {
  let lines = markdown.split('\n');
  if (section !== undefined) {
    const start = lines.findIndex((l) => l.trim() === `## ${section}`);
    if (start < 0) return [];
    const end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    lines = lines.slice(start + 1, end < 0 ? undefined : end);
  }
  const first = lines.findIndex((l) => l.trimStart().startsWith('|'));
  if (first < 0) return [];
  const rows: string[][] = [];
  for (const line of lines.slice(first)) {
    if (!line.trimStart().startsWith('|')) break;
    const cells = line
      .trim()
      .replace(/^\||\|$/g, '')
      .split(/(?<!\\)\|/)
      .map((c) => c.trim());
    if (cells.every((c) => /^:?-+:?$/.test(c))) continue;
    rows.push(cells);
  }
  return rows.slice(1);
}
