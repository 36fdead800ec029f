import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { SmtpReplyError, type FaultInjector } from './faults.js';
import type { CatcherLogger } from './log.js';
import type { MessageStore } from './message-store.js';
import { parseMessage } from './parse-message.js';

/** Largest message accepted, advertised with the SIZE extension. */
const MAX_MESSAGE_BYTES = 50 * 1024 * 1024;

function recipients(session: SMTPServerSession): string[] {
  return session.envelope.rcptTo.map((rcpt) => rcpt.address);
}

async function readAll(stream: SMTPServerDataStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * A permissive SMTP server: any sender, any recipient, AUTH accepted (never required), no
 * TLS. Each message is parsed and stored before the final 250 reply, so a client that saw
 * its message accepted can immediately find it over HTTP.
 */
export function createSmtpServer(
  store: MessageStore,
  faults: FaultInjector,
  log: CatcherLogger,
): SMTPServer {
  return new SMTPServer({
    name: 'conveyor-smtp-catcher',
    banner: 'Conveyor SMTP catcher (development only; nothing is delivered)',
    authOptional: true,
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    disableReverseLookup: true,
    size: MAX_MESSAGE_BYTES,
    logger: false,
    // n.b. a short close timeout so SIGTERM does not hang on an idle pooled connection.
    closeTimeout: 2_000,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onRcptTo(address, session, callback) {
      const fault = faults.take('rcpt', [address.address]);
      if (fault) {
        log('rcpt.fault', {
          session: session.id,
          rcptTo: address.address,
          code: fault.responseCode,
        });
      }
      callback(fault ?? null);
    },
    onData(stream, session, callback) {
      readAll(stream)
        .then(async (raw) => {
          if (stream.sizeExceeded) {
            throw new SmtpReplyError(552, `Message exceeds ${MAX_MESSAGE_BYTES} bytes`);
          }
          const to = recipients(session);
          const fault = faults.take('data', to);
          if (fault) {
            log('data.fault', { session: session.id, rcptTo: to, code: fault.responseCode });
            throw fault;
          }
          const mailFrom = session.envelope.mailFrom;
          const message = await parseMessage(raw, { from: mailFrom ? mailFrom.address : '', to });
          store.add(message, raw);
          log('message.received', {
            id: message.id,
            from: message.envelope.from,
            to: message.envelope.to,
            subject: message.subject,
            bytes: raw.length,
          });
          return message.id;
        })
        .then(
          (id) => callback(null, `Message queued as ${id}`),
          (error: unknown) => {
            if (error instanceof SmtpReplyError) return callback(error);
            log('message.error', { session: session.id, error: String(error) });
            callback(new SmtpReplyError(451, 'Could not parse the message; try again'));
          },
        );
    },
  });
}
