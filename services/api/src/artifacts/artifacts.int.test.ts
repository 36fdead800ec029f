import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { finished } from 'node:stream/promises';
import { startTestApi, type TestApi } from '../testing/test-api.js';

let api: TestApi;
let alice: string;
let bob: string;
let admin: string;

beforeAll(async () => {
  api = await startTestApi();
  alice = await api.token({ sub: 'alice' });
  bob = await api.token({ sub: 'bob' });
  admin = await api.token({ sub: 'root', roles: ['admin'] });
});

afterAll(async () => {
  await api?.close();
});

/** Stores a file as a worker does: owned by `owner`, produced by a job. */
async function storeArtifact(owner: string, text: string): Promise<string> {
  const { id, stream } = api.deps.artifacts.openWrite('totals.csv', {
    contentType: 'text/csv; charset=utf-8',
    owner,
    jobId: '0123456789abcdef01234567',
  });
  stream.end(Buffer.from(text));
  await finished(stream);
  return id;
}

describe('GET /v1/artifacts/{id}', () => {
  it("serves the owner's artifact as a download with its stored content type", async () => {
    const id = await storeArtifact('alice', 'city,total\nBerlin,17\n');
    const res = await api.call(`/v1/artifacts/${id}`, alice);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toContain('totals.csv');
    expect(await res.text()).toBe('city,total\nBerlin,17\n');
  });

  it("is 404 for another owner's artifact and for an unknown id; admins read all", async () => {
    const id = await storeArtifact('alice', 'a\n1\n');
    const other = await api.call(`/v1/artifacts/${id}`, bob);
    expect(other.status).toBe(404);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    expect((await api.call('/v1/artifacts/0123456789abcdef01234567', alice)).status).toBe(404);
    const asAdmin = await api.call(`/v1/artifacts/${id}`, admin);
    expect(asAdmin.status).toBe(200);
    expect(await asAdmin.text()).toBe('a\n1\n');
  });

  it('answers a problem, not a 500, for an id that is not one (as /v1/jobs/{id} does)', async () => {
    const res = await api.call('/v1/artifacts/not-an-id', alice);
    expect(res.status).toBe((await api.call('/v1/jobs/not-an-id', alice)).status);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});
