import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerSession } from 'smtp-server';

/**
 * A real SMTP server in this process, for integration tests and the benchmark (smtp-server
 * is a dev dependency: nothing the service runs imports this module).
 */

/** One message the server accepted. */
export interface ReceivedMessage {
  readonly mailFrom: string;
  readonly rcptTo: string[];
  /** The user that authenticated, if any. */
  readonly user: string | undefined;
  readonly secure: boolean;
  /** The message as transmitted (headers + body). */
  readonly raw: Buffer;
}

/** An SMTP error reply: the server answers `code message` to the command. */
export type SmtpReply = { code: number; message: string };

/** Options of {@link startSmtpTestServer}. */
export interface SmtpTestServerOptions {
  /** Port to listen on; default 0 (any free port). */
  readonly port?: number;
  /** TLS from the start (smtps); default false. */
  readonly secure?: boolean;
  /** Offer STARTTLS on a plain connection; default false. */
  readonly starttls?: boolean;
  /** Require AUTH PLAIN/LOGIN with these credentials; default: no auth. */
  readonly auth?: { user: string; pass: string };
  /** Keep the received raw messages in memory; default true (the benchmark turns it off). */
  readonly keepMessages?: boolean;
  /** Called for each RCPT TO; return a reply to refuse that recipient. */
  readonly onRcptTo?: (address: string, attempt: number) => SmtpReply | undefined;
}

export interface SmtpTestServer {
  readonly port: number;
  /** `smtp://` or `smtps://` URL of the server (with the credentials, if any). */
  readonly url: string;
  readonly messages: readonly ReceivedMessage[];
  /** Messages accepted so far (also when `keepMessages` is off). */
  readonly count: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

function replyError(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

/** Starts a server on 127.0.0.1 and resolves once it listens. */
export async function startSmtpTestServer(
  options: SmtpTestServerOptions = {},
): Promise<SmtpTestServer> {
  const messages: ReceivedMessage[] = [];
  let count = 0;
  let rcptAttempts = 0;
  const keep = options.keepMessages ?? true;
  const auth = options.auth;

  const server = new SMTPServer({
    secure: options.secure ?? false,
    // n.b. smtp-server brings a self-signed certificate; clients connect with tlsRejectUnauthorized=false
    hideSTARTTLS: !(options.starttls ?? false),
    authOptional: auth === undefined,
    ...(auth === undefined ? { disabledCommands: ['AUTH'] } : {}),
    closeTimeout: 100,
    // n.b. no reverse DNS lookup of 127.0.0.1 per connection; it only adds latency here
    disableReverseLookup: true,
    logger: false,
    size: 10 * 1024 * 1024,
    onAuth(credentials, _session, callback) {
      if (auth && credentials.username === auth.user && credentials.password === auth.pass) {
        callback(null, { user: credentials.username });
      } else {
        callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
      }
    },
    onRcptTo(address: SMTPServerAddress, _session: SMTPServerSession, callback) {
      rcptAttempts += 1;
      const reply = options.onRcptTo?.(address.address, rcptAttempts);
      callback(reply ? replyError(reply) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => {
        if (keep) chunks.push(chunk);
      });
      stream.on('end', () => {
        count += 1;
        if (keep) {
          messages.push({
            mailFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            rcptTo: session.envelope.rcptTo.map((r) => r.address),
            user: typeof session.user === 'string' ? session.user : undefined,
            secure: session.secure,
            raw: Buffer.concat(chunks),
          });
        }
        callback(null, `Ok: queued as test-${count}`);
      });
    },
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  // n.b. connection-level errors (a client resetting) must not crash the test process
  server.on('error', () => undefined);
  const port = (server.server.address() as AddressInfo).port;
  const scheme = options.secure ? 'smtps' : 'smtp';
  const credentials = auth
    ? `${encodeURIComponent(auth.user)}:${encodeURIComponent(auth.pass)}@`
    : '';
  const tlsParam = options.secure || options.starttls ? '?tlsRejectUnauthorized=false' : '';

  return {
    port,
    url: `${scheme}://${credentials}127.0.0.1:${port}${tlsParam}`,
    messages,
    get count() {
      return count;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
