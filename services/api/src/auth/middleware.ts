import type { Context, Middleware } from 'koa';
import { ProblemError } from '../http/problem.js';
import type { AuthUser } from './user.js';
import { InvalidTokenError, type TokenVerifier } from './verifier.js';

const unauthorized = (detail: string) =>
  new ProblemError(401, 'Unauthorized', detail, undefined, { 'WWW-Authenticate': 'Bearer' });

/** Requires `Authorization: Bearer <JWT>`; puts the caller in `ctx.state.user`. */
export function authenticate(verify: TokenVerifier): Middleware {
  return async (ctx, next) => {
    const header = ctx.get('authorization');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1]) throw unauthorized('a bearer token is required');
    try {
      ctx.state['user'] = await verify(match[1]);
    } catch (err) {
      if (err instanceof InvalidTokenError)
        throw unauthorized('the bearer token is invalid or expired');
      throw err;
    }
    await next();
  };
}

/** The authenticated caller of a request behind {@link authenticate}. */
export function currentUser(ctx: Context): AuthUser {
  const user = (ctx.state as { user?: AuthUser }).user;
  if (!user) throw unauthorized('a bearer token is required');
  return user;
}
