/**
 * The shell blocks of the project's Markdown documents, as the README test runs them: every
 * fenced block whose info string starts with `sh`, in document order, with what the comment
 * line before it says about it.
 */

/** One ```sh block and how the README test treats it. */
export interface ShellBlock {
  /** `README.md:42`: where the block's fence opens. */
  where: string;
  /** The block's text, as a reader would paste it. */
  text: string;
  /** Why the block is not run, from `<!-- README test: not run (why) -->`; null when it is. */
  notRun: string | null;
  /** The HTTP status the block must answer, from `<!-- README test: expects HTTP 400 -->`. */
  expectsStatus: number | null;
}

const MARK = /^<!--\s*README test:\s*(.*?)\s*-->$/;

/** The `sh` blocks of one Markdown document, in order. */
export function shellBlocks(markdown: string, file: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})(.*)$/.exec(lines[i] ?? '');
    if (!fence) continue;
    const close = lines.findIndex((l, j) => j > i && l.startsWith(fence[1] ?? '```'));
    if (close < 0) throw new Error(`${file}:${i + 1}: a code block that never closes`);
    if (/^(sh|bash|shell)\b/.test((fence[2] ?? '').trim())) {
      const mark = MARK.exec((lines[i - 1] ?? '').trim())?.[1] ?? '';
      const notRun = /^not run\s*\((.+)\)$/.exec(mark)?.[1] ?? null;
      const expects = /^expects HTTP (\d{3})$/.exec(mark)?.[1];
      if (mark !== '' && notRun === null && expects === undefined)
        throw new Error(`${file}:${i}: unknown README test mark "${mark}"`);
      blocks.push({
        where: `${file}:${i + 1}`,
        text: lines.slice(i + 1, close).join('\n'),
        notRun,
        expectsStatus: expects === undefined ? null : Number(expects),
      });
    }
    i = close;
  }
  return blocks;
}

/**
 * Placeholders a reader would have to replace by hand (`<id>`, `<your token>`), outside
 * comments and heredoc markers. A block that holds one does not run as pasted.
 */
export function placeholdersIn(text: string): string[] {
  const found: string[] = [];
  for (const line of text.split('\n')) {
    const code = line.replace(/(^|\s)#.*$/, '');
    for (const m of code.matchAll(/(?<!<)<([A-Za-z][\w .-]*)>/g)) found.push(m[0]);
    if (code.includes('…')) found.push('…');
  }
  return found;
}

/** The default ports the documents name, and the ports a test system listens on instead. */
export interface PortMap {
  /** The API (`localhost:3000`). */
  api: number;
  /** The SMTP catcher's web side (`localhost:1080`). */
  catcher: number;
}

/** `text` with the documents' default ports replaced by the test system's. */
export function withPorts(text: string, ports: PortMap): string {
  return text
    .replace(/\b(localhost|127\.0\.0\.1):3000\b/g, `$1:${ports.api}`)
    .replace(/\b(localhost|127\.0\.0\.1):1080\b/g, `$1:${ports.catcher}`);
}

/**
 * One bash script that runs `blocks` in order in one shell, so variables carry over as they
 * do in a reader's terminal. It adds only instrumentation: `set -uo pipefail` and an ERR trap
 * report a failing command or an unset variable (`@@fail`), and `curl` is wrapped to report
 * each answer's status on stderr (`@@http <status> <method> <url>`). A `curl --max-time`
 * that ends by its time limit (exit 28: a bounded event stream) counts as success.
 */
export function scriptFor(blocks: readonly ShellBlock[], ports: PortMap): string {
  const prelude = String.raw`set -uo pipefail
set -E
curl() {
  local rc=0
  command curl -w '%{stderr}@@http %{http_code} %{method} %{url_effective}\n' "$@" || rc=$?
  if [ "$rc" -eq 28 ] && printf '%s\n' "$@" | grep -qx -- '--max-time'; then return 0; fi
  return "$rc"
}
trap 'echo "@@fail block=$README_BLOCK status=$? command=$BASH_COMMAND" >&2' ERR
`;
  const body = blocks.map(
    (b, i) =>
      `README_BLOCK=${i}\nprintf '\\n@@block ${i} ${b.where}\\n'\nprintf '\\n@@block ${i} ${b.where}\\n' >&2\n${withPorts(b.text, ports)}\n`,
  );
  // n.b. markers start on a line of their own: a block's output may not end with a newline
  return `${prelude}${body.join('')}printf '\\n@@end\\n'\n`;
}

/** What a run of {@link scriptFor} reported, per block. */
export interface RunReport {
  /** Every `@@fail` line. */
  failures: string[];
  /** HTTP statuses per block index. */
  statuses: Map<number, { status: number; request: string }[]>;
  /** True when the script reached its end. */
  ended: boolean;
}

/** Reads the markers of a run's stdout and stderr. */
export function readRun(stdout: string, stderr: string): RunReport {
  const statuses = new Map<number, { status: number; request: string }[]>();
  const failures: string[] = [];
  let block = -1;
  for (const line of stderr.split('\n')) {
    const start = /^@@block (\d+) /.exec(line);
    if (start) block = Number(start[1]);
    const http = /^@@http (\d{3}) (.*)$/.exec(line);
    if (http) {
      const list = statuses.get(block) ?? [];
      list.push({ status: Number(http[1]), request: http[2] ?? '' });
      statuses.set(block, list);
    }
    if (line.startsWith('@@fail ')) failures.push(line);
  }
  return { failures, statuses, ended: stdout.split('\n').includes('@@end') };
}
