import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { startTestApi, type TestApi } from '../testing/test-api.js';

/**
 * The JWKS path against a live key server: an identity provider's keys (one RSA, one EC) are
 * served over HTTP, and the API verifies tokens signed with them.
 */
let api: TestApi;
let jwksServer: Server;
let jwksHits = 0;
let rsa: CryptoKey;
let ec: CryptoKey;
let stranger: CryptoKey;

const ISSUER = 'https://id.example.test/';
const AUDIENCE = 'conveyor-api';

beforeAll(async () => {
  const rsaPair = await generateKeyPair('RS256');
  const ecPair = await generateKeyPair('ES256');
  rsa = rsaPair.privateKey;
  ec = ecPair.privateKey;
  stranger = (await generateKeyPair('RS256')).privateKey;
  const keys: JWK[] = [
    { ...(await exportJWK(rsaPair.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' },
    { ...(await exportJWK(ecPair.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' },
  ];
  jwksServer = createServer((req, res) => {
    jwksHits++;
    if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
  });
  await new Promise<void>((r) => jwksServer.listen(0, '127.0.0.1', r));
  const { port } = jwksServer.address() as AddressInfo;
  api = await startTestApi({
    JWT_SECRET: undefined,
    JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
  });
});

afterAll(async () => {
  await api?.close();
  await new Promise((r) => jwksServer?.close(r));
});

async function token(
  key: CryptoKey | Uint8Array,
  alg: string,
  kid: string,
  issuer = ISSUER,
): Promise<string> {
  return new SignJWT({ email: 'alice@example.com' })
    .setProtectedHeader({ alg, kid })
    .setSubject('alice')
    .setIssuer(issuer)
    .setAudience(AUDIENCE)
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(key);
}

describe('JWKS authentication', () => {
  it('accepts RS256 and ES256 tokens signed with the published keys', async () => {
    for (const t of [await token(rsa, 'RS256', 'rsa-1'), await token(ec, 'ES256', 'ec-1')]) {
      const res = await api.call('/v1/jobs', t, {
        method: 'POST',
        body: JSON.stringify({ type: 'demo.count', payload: { to: 1 } }),
      });
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ owner: 'alice', status: 'queued' });
    }
    expect(jwksHits).toBeGreaterThanOrEqual(1);
  });

  it('refuses a key the provider does not publish, a wrong issuer and an HS256 token', async () => {
    const refused = [
      await token(stranger, 'RS256', 'rsa-1'),
      await token(rsa, 'RS256', 'rsa-1', 'https://evil.example.test/'),
      await token(new TextEncoder().encode('a'.repeat(40)), 'HS256', 'rsa-1'),
    ];
    for (const t of refused) {
      const res = await api.call('/v1/jobs', t);
      expect(res.status).toBe(401);
    }
  });
});
