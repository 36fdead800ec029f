import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { startTestApi, type TestApi } from '../testing/test-api.js';

let api: TestApi;
let alice: string;
let bob: string;

beforeAll(async () => {
  api = await startTestApi({ UPLOAD_LIMIT_BYTES: '100000' });
  alice = await api.token({ sub: 'alice' });
  bob = await api.token({ sub: 'bob' });
});

afterAll(async () => {
  await api?.close();
});

function upload(token: string, content: string, filename = 'people.csv'): Promise<Response> {
  const form = new FormData();
  form.append('file', new Blob([content], { type: 'text/csv' }), filename);
  return api.call('/v1/uploads', token, { method: 'POST', body: form });
}

const dataJob = (uploadId: string) => ({
  type: 'data.process',
  payload: { source: { uploadId }, steps: [], output: { format: 'json' } },
});

describe('uploads', () => {
  it('stores a CSV for its owner, and another owner cannot use it', async () => {
    const csv = 'name,age\nada,36\ngrace,45\n';
    const res = await upload(alice, csv);
    expect(res.status).toBe(201);
    const body = (await res.json()) as {
      uploadId: string;
      filename: string;
      bytes: number;
      contentType: string;
    };
    expect(body).toMatchObject({
      filename: 'people.csv',
      bytes: Buffer.byteLength(csv),
      contentType: 'text/csv',
    });
    expect(body.uploadId).toMatch(/^[a-f0-9]{24}$/);
    expect(await api.deps.uploads.find(body.uploadId, 'alice')).toMatchObject({
      owner: 'alice',
      length: Buffer.byteLength(csv),
    });

    const mine = await api.call('/v1/jobs', alice, {
      method: 'POST',
      body: JSON.stringify(dataJob(body.uploadId)),
    });
    expect(mine.status).toBe(202);

    const before = await api.jobCount();
    const theirs = await api.call('/v1/jobs', bob, {
      method: 'POST',
      body: JSON.stringify(dataJob(body.uploadId)),
    });
    expect(theirs.status).toBe(400);
    expect(
      ((await theirs.json()) as { errors: { field: string }[] }).errors.map((e) => e.field),
    ).toEqual(['payload.source.uploadId']);
    expect(await api.jobCount()).toBe(before);
  });

  it('refuses a request without the file field', async () => {
    const form = new FormData();
    form.append('other', 'x');
    const res = await api.call('/v1/uploads', alice, { method: 'POST', body: form });
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });

  it('refuses a file over the limit with 413', async () => {
    const res = await upload(alice, 'x'.repeat(150_000));
    expect(res.status).toBe(413);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
  });
});
