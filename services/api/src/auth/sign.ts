import { SignJWT } from 'jose';

/** What goes into a token signed by {@link signToken}. */
export interface TokenClaims {
  sub: string;
  email?: string | undefined;
  roles?: string[] | undefined;
}

/**
 * Signs an HS256 token the API accepts (dev tokens and tests).
 * `ttlSeconds` defaults to 3600; a negative one gives an already-expired token.
 */
export async function signToken(
  claims: TokenClaims,
  opts: { secret: string; issuer: string; audience: string; ttlSeconds?: number },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({
    ...(claims.email !== undefined ? { email: claims.email } : {}),
    ...(claims.roles !== undefined ? { roles: claims.roles } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.ttlSeconds ?? 3600));
  return jwt.sign(new TextEncoder().encode(opts.secret));
}
