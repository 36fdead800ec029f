/**
 * Previous / next page over a cursor-paged list. `cursors` is the stack of page cursors
 * visited (`undefined` for the first page); next pushes the page's `nextCursor`, previous pops.
 */
export function Pager({
  cursors,
  setCursors,
  nextCursor,
}: {
  cursors: (string | undefined)[];
  setCursors: (c: (string | undefined)[]) => void;
  nextCursor: string | null | undefined;
}) {
  return (
    <nav class="pager" aria-label="Pages">
      <button
        type="button"
        disabled={cursors.length <= 1}
        onClick={() => setCursors(cursors.slice(0, -1))}
      >
        Previous page
      </button>
      <span>Page {cursors.length}</span>
      <button
        type="button"
        disabled={!nextCursor}
        onClick={() => nextCursor && setCursors([...cursors, nextCursor])}
      >
        Next page
      </button>
    </nav>
  );
}
