import { parseArgs } from 'node:util';
import { DEFAULT_JWT_AUDIENCE, DEFAULT_JWT_ISSUER, DEV_JWT_SECRET } from '../config.js';
import { signToken } from './sign.js';

/**
 * Prints a dev token: `pnpm -s token --sub alice --email alice@example.com [--role admin] [--ttl 3600]`.
 * Signs with `JWT_SECRET` (or the development secret) and `JWT_ISSUER` / `JWT_AUDIENCE`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string', multiple: true },
      ttl: { type: 'string', default: '3600' },
    },
  });
  const ttl = Number(values.ttl);
  if (!values.sub || !Number.isInteger(ttl)) {
    process.stderr.write(
      'usage: token --sub <subject> [--email <address>] [--role admin] [--ttl <seconds>]\n',
    );
    process.exit(2);
  }
  const token = await signToken(
    { sub: values.sub, email: values.email, roles: values.role },
    {
      secret: process.env['JWT_SECRET'] ?? DEV_JWT_SECRET,
      issuer: process.env['JWT_ISSUER'] ?? DEFAULT_JWT_ISSUER,
      audience: process.env['JWT_AUDIENCE'] ?? DEFAULT_JWT_AUDIENCE,
      ttlSeconds: ttl,
    },
  );
  process.stdout.write(`${token}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
