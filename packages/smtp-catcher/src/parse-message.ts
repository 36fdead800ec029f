import { randomUUID } from 'node:crypto';
import { simpleParser, type AddressObject, type EmailAddress } from 'mailparser';
import type { CaughtEnvelope, CaughtMessage } from './message-store.js';

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  if (field === undefined) return [];
  const flatten = (list: EmailAddress[]): string[] =>
    list.flatMap((entry) =>
      entry.group ? flatten(entry.group) : entry.address ? [entry.address] : [],
    );
  return (Array.isArray(field) ? field : [field]).flatMap((object) => flatten(object.value));
}

function headerRecord(lines: ReadonlyArray<{ key: string; line: string }>): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const { key, line } of lines) {
    const value = line
      .slice(line.indexOf(':') + 1)
      .replace(/\r?\n[ \t]+/g, ' ')
      .trim();
    headers[key] = key in headers ? `${headers[key]}\n${value}` : value;
  }
  return headers;
}

/** Parses a raw RFC 822 message into the JSON shape the HTTP API serves. */
export async function parseMessage(raw: Buffer, envelope: CaughtEnvelope): Promise<CaughtMessage> {
  // n.b. skipImageLinks/skipTextToHtml keep html exactly as sent (null for text-only mail).
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  return {
    id: randomUUID(),
    receivedAt: new Date().toISOString(),
    envelope,
    from: addresses(parsed.from)[0] ?? null,
    to: addresses(parsed.to),
    cc: addresses(parsed.cc),
    subject: parsed.subject ?? null,
    messageId: parsed.messageId ?? null,
    headers: headerRecord(parsed.headerLines),
    text: parsed.text ?? null,
    html: typeof parsed.html === 'string' ? parsed.html : null,
    attachments: parsed.attachments.map((a) => ({
      filename: a.filename ?? null,
      contentType: a.contentType,
      size: a.size,
      md5: a.checksum,
    })),
  };
}
