import { createHmac } from 'node:crypto';

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

/**
 * Mints the app's own bearer tokens (HS256, Conveyor's `JWT_SECRET`), for deployments that
 * share the secret with the app instead of handing it a token: each lasts an hour and is
 * renewed five minutes before it ends. Give it to the client as `getToken`.
 */
export function serviceTokens(opts: {
  secret: string;
  sub: string;
  email?: string | undefined;
  issuer: string;
  audience: string;
}): () => string {
  let token = '';
  let renewAt = 0;
  return () => {
    const now = Math.floor(Date.now() / 1000);
    if (now < renewAt) return token;
    const header = b64url(JSON.stringify({ alg: 'HS256', typ: 'JWT' }));
    const claims = b64url(
      JSON.stringify({
        sub: opts.sub,
        ...(opts.email ? { email: opts.email } : {}),
        iss: opts.issuer,
        aud: opts.audience,
        iat: now,
        exp: now + 3600,
      }),
    );
    const signature = b64url(
      createHmac('sha256', opts.secret).update(`${header}.${claims}`).digest(),
    );
    token = `${header}.${claims}.${signature}`;
    renewAt = now + 3300;
    return token;
  };
}
