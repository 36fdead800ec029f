import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { waitFor } from '@conveyor/testkit';
import sharp from 'sharp';
import { photo } from './testing/fixtures.js';
import { startFilesSystem, type FilesSystem, type Job } from './testing/system.js';

let sys: FilesSystem;
let alice: string;

beforeAll(async () => {
  sys = await startFilesSystem({ mailer: true, scheduler: true });
  alice = sys.token('alice', 'alice@example.com');
}, 120_000);

afterAll(async () => {
  await sys?.stop();
});

interface Workflow {
  id: string;
  status: string;
  steps: { name: string | null; jobId: string | null; state: string }[];
}

async function post<T>(path: string, body: unknown, status: number): Promise<T> {
  const res = await sys.call(path, alice, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== status) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const thumbnail = (uploadId: string, width: number) => ({
  name: `w${width}`,
  type: 'file.image',
  payload: {
    source: { uploadId },
    outputs: [{ name: `w${width}`, format: 'webp', resize: { width } }],
  },
});

describe('file jobs in workflows and schedules', () => {
  it('a group makes three thumbnail sizes, then a chord step mails their summary', async () => {
    const uploadId = await sys.upload(alice, 'team.jpg', 'image/jpeg', await photo(1600, 900));
    const subject = `Thumbnails ${Date.now()}`;
    const wf = await post<Workflow>(
      '/v1/workflows',
      {
        name: 'thumbnails',
        workflow: {
          chord: {
            header: [thumbnail(uploadId, 64), thumbnail(uploadId, 320), thumbnail(uploadId, 800)],
            body: {
              name: 'summary',
              type: 'email.send',
              payload: { to: ['alice@example.com'], subject },
              // n.b. the three results, in member order, as the mail's text
              input: { into: 'text', as: 'json' },
            },
          },
        },
      },
      202,
    );
    let done: Workflow | null = null;
    await waitFor(
      async () => {
        done = (await (await sys.call(`/v1/workflows/${wf.id}`, alice)).json()) as Workflow;
        return ['succeeded', 'failed', 'cancelled'].includes(done.status);
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'workflow finished' },
    );
    expect(done!.status).toBe('succeeded');
    const sizes: [number, number][] = [];
    for (const name of ['w64', 'w320', 'w800']) {
      const step = done!.steps.find((s) => s.name === name)!;
      const job = (await (await sys.call(`/v1/jobs/${step.jobId}`, alice)).json()) as Job;
      const [out] = (
        job.result as { outputs: { artifactId: string; width: number; height: number }[] }
      ).outputs;
      const meta = await sharp(await sys.artifact(out!.artifactId)).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['webp', out!.width, out!.height]);
      sizes.push([out!.width, out!.height]);
    }
    expect(sizes).toEqual([
      [64, 36],
      [320, 180],
      [800, 450],
    ]);

    let mail: { subject: string; text: string } | undefined;
    await waitFor(
      async () => {
        const all = (await (await fetch(`${sys.catcher}/api/messages`)).json()) as {
          subject: string;
          text: string;
        }[];
        mail = all.find((m) => m.subject === subject);
        return mail !== undefined;
      },
      { timeoutMs: 30_000, what: 'the summary mail in the catcher' },
    );
    const summary = JSON.parse(mail!.text) as {
      outputs: { name: string; width: number; height: number }[];
    }[];
    expect(summary.map(({ outputs: [o] }) => [o!.name, o!.width, o!.height])).toEqual([
      ['w64', 64, 36],
      ['w320', 320, 180],
      ['w800', 800, 450],
    ]);
  });

  it('a chain passes an image to the next step as its source', async () => {
    const uploadId = await sys.upload(
      alice,
      'wide.png',
      'image/png',
      await photo(1200, 600, { format: 'png' }),
    );
    const wf = await post<Workflow>(
      '/v1/workflows',
      {
        workflow: {
          chain: [
            {
              name: 'square',
              type: 'file.image',
              payload: {
                source: { uploadId },
                outputs: [{ format: 'png', resize: { width: 400, height: 400, fit: 'cover' } }],
              },
            },
            {
              name: 'tiny',
              type: 'file.image',
              payload: { source: {}, outputs: [{ format: 'jpeg', resize: { width: 40 } }] },
              input: { into: 'source.artifactId', select: 'artifactId' },
            },
          ],
        },
      },
      202,
    );
    let done: Workflow | null = null;
    await waitFor(
      async () => {
        done = (await (await sys.call(`/v1/workflows/${wf.id}`, alice)).json()) as Workflow;
        return ['succeeded', 'failed', 'cancelled'].includes(done.status);
      },
      { timeoutMs: 60_000, intervalMs: 200, what: 'workflow finished' },
    );
    expect(done!.status).toBe('succeeded');
    const tiny = done!.steps.find((s) => s.name === 'tiny')!;
    const job = (await (await sys.call(`/v1/jobs/${tiny.jobId}`, alice)).json()) as Job;
    expect(job.result).toMatchObject({
      source: { filename: 'wide-1.png', format: 'png', width: 400, height: 400 },
      outputs: [{ filename: 'wide-1-1.jpg', width: 40, height: 40 }],
    });
  });

  it('a schedule fires file.image', async () => {
    const uploadId = await sys.upload(
      alice,
      'logo.png',
      'image/png',
      await photo(400, 400, { format: 'png' }),
    );
    const schedule = await post<{ id: string }>(
      '/v1/schedules',
      {
        name: 'logo every second',
        cron: '* * * * * *',
        job: {
          type: 'file.image',
          payload: { source: { uploadId }, outputs: [{ format: 'avif', resize: { width: 32 } }] },
        },
      },
      201,
    );
    try {
      await waitFor(
        async () => {
          const fires = (await (
            await sys.call(`/v1/schedules/${schedule.id}/fires`, alice)
          ).json()) as { items: Job[] };
          return fires.items.some(
            (j) =>
              j.status === 'succeeded' &&
              (j.result as { outputs: { format: string; width: number }[] }).outputs[0]?.width ===
                32,
          );
        },
        { timeoutMs: 30_000, intervalMs: 250, what: 'a succeeded fire of the schedule' },
      );
    } finally {
      await sys.call(`/v1/schedules/${schedule.id}`, alice, { method: 'DELETE' });
    }
  });
});
