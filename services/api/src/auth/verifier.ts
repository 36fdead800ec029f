import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { AuthUser } from './user.js';

/** How tokens are checked: an HS256 secret or a JWKS URL, plus the required `iss` / `aud`. */
export interface VerifierOptions {
  /** HS256 secret; used when set. */
  secret?: string | undefined;
  /** JWKS URL (RS256 / ES256); used when no secret is set. */
  jwksUrl?: string | undefined;
  issuer: string;
  audience: string;
}

/** Verifies a bearer token and returns its caller; rejects on any invalid token. */
export type TokenVerifier = (token: string) => Promise<AuthUser>;

/** Raised for a token that is missing, malformed, expired or signed by someone else. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** Builds the verifier. Algorithms are pinned, so a token can't pick a weaker one (`none`, HS with a public key). */
export function createTokenVerifier(opts: VerifierOptions): TokenVerifier {
  const common = {
    issuer: opts.issuer,
    audience: opts.audience,
    requiredClaims: ['iss', 'aud', 'exp', 'sub'],
  };
  let verify: (token: string) => Promise<JWTPayload>;
  if (opts.secret !== undefined) {
    const key = new TextEncoder().encode(opts.secret);
    verify = async (token) =>
      (await jwtVerify(token, key, { ...common, algorithms: ['HS256'] })).payload;
  } else if (opts.jwksUrl !== undefined) {
    const jwks = createRemoteJWKSet(new URL(opts.jwksUrl));
    verify = async (token) =>
      (await jwtVerify(token, jwks, { ...common, algorithms: ['RS256', 'ES256'] })).payload;
  } else {
    throw new Error('a token verifier needs a secret or a JWKS URL');
  }
  return async (token) => {
    let payload: JWTPayload;
    try {
      payload = await verify(token);
    } catch (err) {
      throw new InvalidTokenError(err instanceof Error ? err.message : 'invalid token');
    }
    if (typeof payload.sub !== 'string' || payload.sub === '')
      throw new InvalidTokenError('token has no subject');
    const email = typeof payload['email'] === 'string' ? payload['email'] : null;
    const roles = payload['roles'];
    const admin = Array.isArray(roles) && roles.includes('admin');
    return { sub: payload.sub, email, admin };
  };
}
