/** A polite live region: results of actions ("2 jobs retried") are read out. */
export function Notice({ text, error }: { text: string | null; error?: boolean }) {
  return (
    <p class={error ? 'notice error' : 'notice'} role="status" aria-live="polite">
      {text ?? ''}
    </p>
  );
}
