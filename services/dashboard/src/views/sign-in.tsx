import { useState } from 'preact/hooks';
import { api, ApiError, configureApi } from '../api';
import { sessionFromToken, type Session } from '../session';

/** Paste a token; it is checked against the API before the tab keeps it. */
export function SignIn({
  onSignIn,
  expired,
}: {
  onSignIn: (s: Session) => void;
  expired: boolean;
}) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(
    expired ? 'Your token expired or was refused: sign in again.' : null,
  );
  const [busy, setBusy] = useState(false);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const session = sessionFromToken(token);
      configureApi(session.token, () => undefined);
      await api('/v1/workers'); // n.b. any authenticated read: proves the API accepts the token
      onSignIn(session);
    } catch (err) {
      setError(
        err instanceof ApiError && err.status === 401
          ? 'The API refused this token (wrong secret, issuer, audience, or expired).'
          : (err as Error).message,
      );
    } finally {
      setBusy(false);
    }
  }

  return (
    <main id="main" class="sign-in">
      <h1>Conveyor dashboard</h1>
      <form onSubmit={submit} class="card">
        <h2>Sign in with a token</h2>
        <label for="token">Bearer token (JWT)</label>
        <textarea
          id="token"
          name="token"
          rows={5}
          value={token}
          onInput={(e) => setToken((e.target as HTMLTextAreaElement).value)}
          required
          autoComplete="off"
          spellcheck={false}
        />
        <p class="hint">
          For a development token, run in the repository:{' '}
          <code>pnpm -s token --sub alice --email alice@example.com</code> (add{' '}
          <code>--role admin</code> to see every owner). The token is kept for this tab only.
        </p>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
