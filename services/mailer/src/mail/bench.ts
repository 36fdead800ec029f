/**
 * Mail send benchmark: `node services/mailer/dist/mail/bench.js [messages=2000] [inFlight=10]`.
 *
 * Sends `messages` rendered `welcome` emails through the pooled transport at its default
 * pool size (SMTP_POOL_SIZE, 5) with no rate limit, keeping `inFlight` sends outstanding,
 * and prints messages/s, p50/p99 send latency, sender CPU and the peak RSS of this process. The SMTP
 * server is `SMTP_URL` when set, else an in-process smtp-server run in a child process so
 * that it neither shares this event loop nor counts in this RSS. Needs the dev dependencies
 * (smtp-server). Prints figures only; nothing asserts on them.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { templateDataSchemas } from '@conveyor/contracts';
import { parseMailConfig } from './config.js';
import { createMailTransport } from './transport.js';
import { toMailAddress } from './addresses.js';
import { messageIdForJob } from './message-id.js';
import { createTemplateRenderer } from '../templates/renderer.js';
import type { OutgoingMail } from './outgoing-mail.js';

const SERVE_FLAG = '--serve';

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

/** Child process role: run the SMTP server and report its port to the parent. */
async function serve(): Promise<void> {
  const { startSmtpTestServer } = await import('./smtp-test-server.js');
  const server = await startSmtpTestServer({ keepMessages: false });
  process.send?.({ port: server.port });
  process.once('disconnect', () => {
    void server.close().then(() => process.exit(0));
  });
}

async function startServerChild(): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), [SERVE_FLAG], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [message] = (await once(child, 'message')) as [{ port: number }];
  return { url: `smtp://127.0.0.1:${message.port}`, child };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return (
    sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN
  );
}

async function bench(messages: number, inFlight: number): Promise<void> {
  const external = process.env.SMTP_URL;
  const server = external ? undefined : await startServerChild();
  const smtpUrl = external ?? (server as { url: string }).url;
  const config = parseMailConfig({
    SMTP_URL: smtpUrl,
    MAIL_RATE_PER_SECOND: '0',
    SMTP_POOL_SIZE: process.env.SMTP_POOL_SIZE,
  });
  const transport = createMailTransport(config);

  const renderer = createTemplateRenderer(config.subjects);
  const data = templateDataSchemas.welcome.parse({
    name: 'Ann Example',
    product: 'Acme',
    loginUrl: 'https://acme.example.com/login',
  });
  const renderRuns = 200;
  const renderStart = performance.now();
  let rendered = renderer.render('welcome', data);
  for (let i = 1; i < renderRuns; i++) rendered = renderer.render('welcome', data);
  const renderMs = (performance.now() - renderStart) / renderRuns;

  const from = config.from;
  const to = [toMailAddress('Ann Example <ann@example.com>')];
  const message = (i: number): OutgoingMail => ({
    from,
    to,
    subject: rendered.subject,
    text: rendered.text,
    html: rendered.html,
    messageId: messageIdForJob(`bench${i}`, config.messageIdDomain),
  });
  // n.b. a signal per send, as each job has its own
  const signal = () => new AbortController().signal;

  // n.b. warm-up opens the pool's connections so the figures are the steady state
  await Promise.all(
    Array.from({ length: config.poolSize * 2 }, (_, i) =>
      transport.send(message(-i - 1), signal()),
    ),
  );

  const latencies: number[] = [];
  let next = 0;
  let failures = 0;
  const worker = async () => {
    while (next < messages) {
      const i = next++;
      const t0 = performance.now();
      try {
        await transport.send(message(i), signal());
        latencies.push(performance.now() - t0);
      } catch {
        failures += 1;
      }
    }
  };
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  await Promise.all(Array.from({ length: Math.max(1, inFlight) }, worker));
  const seconds = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  await transport.close();
  server?.child.disconnect();

  latencies.sort((a, b) => a - b);
  const size = Buffer.byteLength(rendered.text) + Buffer.byteLength(rendered.html);
  print(
    `server            ${external ? smtpUrl.replace(/\/\/[^@/]*@/, '//***@') : 'in-process smtp-server (child process)'}`,
  );
  print(
    `messages          ${latencies.length} sent, ${failures} failed (${inFlight} in flight, pool ${config.poolSize}, no rate limit)`,
  );
  print(`body              ${size} bytes (welcome template, text + inlined HTML)`);
  print(
    `throughput        ${(latencies.length / seconds).toFixed(0)} messages/s (${seconds.toFixed(2)} s)`,
  );
  print(
    `send latency      p50 ${percentile(latencies, 50).toFixed(2)} ms, p99 ${percentile(latencies, 99).toFixed(2)} ms, max ${(latencies.at(-1) ?? Number.NaN).toFixed(2)} ms`,
  );
  print(
    `sender CPU        ${((cpu.user + cpu.system) / Math.max(1, latencies.length)).toFixed(0)} µs per message (${(((cpu.user + cpu.system) / 1e6 / seconds) * 100).toFixed(0)}% of one core)`,
  );
  print(
    `template render   ${renderMs.toFixed(2)} ms each (handlebars; CSS was inlined at compile time)`,
  );
  print(
    `peak RSS          ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB (this process)`,
  );
}

if (process.argv.includes(SERVE_FLAG)) {
  await serve();
} else {
  const messages = Number(process.argv[2] ?? 2000);
  const inFlight = Number(process.argv[3] ?? 10);
  if (!Number.isInteger(messages) || messages < 1 || !Number.isInteger(inFlight) || inFlight < 1) {
    process.stderr.write(
      'usage: node services/mailer/dist/mail/bench.js [messages=2000] [inFlight=10]\n',
    );
    process.exit(2);
  }
  await bench(messages, inFlight);
}
