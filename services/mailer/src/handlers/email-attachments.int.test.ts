import { finished } from 'node:stream/promises';
import { describe, expect, it } from '@jest/globals';
import { FileStore, JobRepository, PermanentJobError } from '@conveyor/jobs';
import { received, runHandler, useMailerTestRigs } from './mailer-test-rig.js';

const t = useMailerTestRigs();

async function sources() {
  const artifacts = new FileStore(t.rigs.conn, 'artifacts');
  const jobs = new JobRepository(t.rigs.conn);
  const store = async (content: Buffer, filename: string, contentType: string, owner = 'alice') => {
    const f = artifacts.openWrite(filename, { contentType, owner });
    f.stream.end(content);
    await finished(f.stream);
    return f.id;
  };
  return { artifacts, jobs, store };
}

const mail = (attachments: unknown[]) => ({
  to: ['ann@example.com'],
  subject: 'Your report',
  text: 'attached',
  attachments,
});

describe('email attachments from the artifact store', () => {
  it('attaches an artifact by id and a succeeded job’s artifact, with their stored MIME types', async () => {
    const { artifacts, jobs, store } = await sources();
    const pdf = Buffer.concat([Buffer.from('%PDF-1.3\n'), Buffer.alloc(2000, 7)]);
    const pdfId = await store(pdf, 'report.pdf', 'application/pdf');
    const csvId = await store(Buffer.from('a,b\r\n1,2\r\n'), 'data.csv', 'text/csv; charset=utf-8');
    const { job } = await jobs.create({
      type: 'data.process',
      payload: {},
      priority: 'normal',
      owner: 'alice',
      maxAttempts: 1,
      timeoutMs: 1000,
      runAt: new Date(),
    });
    // n.b. fixture: the state a finished data.process job has
    await jobs.model.updateOne(
      { _id: job._id },
      { $set: { status: 'succeeded', result: JSON.stringify({ artifactId: csvId }) } },
    );
    const server = await t.rigs.smtpServer();
    const r = await t.rigs.rig(server.url, {}, { artifacts, jobs, limitBytes: 1024 * 1024 });
    await runHandler(
      r,
      'email.send',
      mail([{ artifactId: pdfId, filename: 'weekly.pdf' }, { jobId: job._id.toHexString() }]),
      t.jobId,
    );
    const parsed = await received(server);
    expect(parsed.attachments.map((a) => [a.filename, a.contentType, a.size])).toEqual([
      ['weekly.pdf', 'application/pdf', pdf.length],
      ['data.csv', 'text/csv', 10],
    ]);
    expect(parsed.attachments[0]!.content.equals(pdf)).toBe(true);
  });

  it('refuses another owner’s artifact, an unfinished job and a total over the limit, sending nothing', async () => {
    const { artifacts, jobs, store } = await sources();
    const foreign = await store(Buffer.from('secret'), 'x.txt', 'text/plain', 'mallory');
    const big = await store(Buffer.alloc(5000, 1), 'big.bin', 'application/octet-stream');
    const { job: queued } = await jobs.create({
      type: 'data.process',
      payload: {},
      priority: 'normal',
      owner: 'alice',
      maxAttempts: 1,
      timeoutMs: 1000,
      runAt: new Date(),
    });
    const server = await t.rigs.smtpServer();
    const r = await t.rigs.rig(server.url, {}, { artifacts, jobs, limitBytes: 4096 });
    for (const [ref, msg] of [
      [{ artifactId: foreign }, 'no artifact'],
      [{ jobId: queued._id.toHexString() }, 'not a succeeded job'],
      [{ artifactId: big }, 'over the limit of 4096'],
    ] as const) {
      const err = await runHandler(r, 'email.send', mail([ref]), `${t.jobId}${msg.length}`).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(PermanentJobError);
      expect((err as PermanentJobError).code).toBe('ATTACHMENT_REFUSED');
      expect((err as Error).message).toContain(msg);
    }
    expect(server.messages).toHaveLength(0);
  });

  it('attaches to templated mail too', async () => {
    const { artifacts, jobs, store } = await sources();
    const id = await store(Buffer.from('%PDF-1.3 tiny'), 'r.pdf', 'application/pdf');
    const server = await t.rigs.smtpServer();
    const r = await t.rigs.rig(server.url, {}, { artifacts, jobs, limitBytes: 4096 });
    await runHandler(
      r,
      'email.template',
      {
        to: 'ann@example.com',
        template: 'notification',
        data: { title: 'Report ready', message: 'See the attachment.' },
        attachments: [{ artifactId: id }],
      },
      t.jobId,
    );
    const parsed = await received(server);
    expect(parsed.subject).toBe('Report ready');
    expect(parsed.attachments.map((a) => a.filename)).toEqual(['r.pdf']);
  });
});
