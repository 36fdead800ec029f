/** The signed-in caller, from the token's claims (decoded for display; the API verifies it). */
export interface Session {
  token: string;
  sub: string;
  email: string | null;
  admin: boolean;
  /** Expiry, ms since the epoch, or null when the token has none. */
  expiresAt: number | null;
}

const KEY = 'conveyor.token';

function b64urlJson(part: string): unknown {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const bin = atob(b64.padEnd(b64.length + ((4 - (b64.length % 4)) % 4), '='));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Reads a JWT's claims; throws with a readable message when it is not a JWT. */
export function sessionFromToken(token: string): Session {
  const parts = token.trim().split('.');
  if (parts.length !== 3 || !parts[1])
    throw new Error('That is not a JWT (three dot-separated parts).');
  let claims: { sub?: unknown; email?: unknown; roles?: unknown; exp?: unknown };
  try {
    claims = b64urlJson(parts[1]) as typeof claims;
  } catch {
    throw new Error('The token’s payload is not readable JSON.');
  }
  if (typeof claims.sub !== 'string' || claims.sub === '')
    throw new Error('The token has no `sub` claim.');
  return {
    token: token.trim(),
    sub: claims.sub,
    email: typeof claims.email === 'string' ? claims.email : null,
    admin: Array.isArray(claims.roles) && claims.roles.includes('admin'),
    expiresAt: typeof claims.exp === 'number' ? claims.exp * 1000 : null,
  };
}

/** The session kept for this tab (sessionStorage: gone when the tab closes). */
export function loadSession(): Session | null {
  const token = sessionStorage.getItem(KEY);
  if (!token) return null;
  try {
    const s = sessionFromToken(token);
    return s.expiresAt !== null && s.expiresAt < Date.now() ? null : s;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, s.token);
  else sessionStorage.removeItem(KEY);
}

const LINK = /^#\/sign-in\?token=([^&]+)/;

/**
 * Signs the tab in from a sign-in link, `/ui/#/sign-in?token=<JWT>` (what `npm start` prints
 * for development): keeps the token as a pasted one would be kept and takes it out of the
 * address bar and the history at once. A fragment never reaches a server, so the token is
 * not in any access log. Returns the session, or null when the page was not opened by one.
 */
export function takeSignInLink(): Session | null {
  const match = LINK.exec(location.hash);
  if (!match?.[1]) return null;
  history.replaceState(null, '', `${location.pathname}${location.search}#/`);
  try {
    const s = sessionFromToken(decodeURIComponent(match[1]));
    saveSession(s);
    return s;
  } catch {
    return null;
  }
}
