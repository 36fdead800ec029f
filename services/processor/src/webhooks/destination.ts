import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { PermanentJobError, RetryableJobError } from '@conveyor/jobs';
import type { AddressPolicy } from './address-policy.js';

/** Where a delivery connects: the vetted address, and the name for Host and TLS. */
export interface Destination {
  readonly url: URL;
  /** The host name as written (brackets of an IPv6 literal removed). */
  readonly hostname: string;
  readonly port: number;
  /** The address connected to: one that passed the policy, never looked up again. */
  readonly address: string;
  readonly family: 4 | 6;
  /** `host:port`, the key of the per-destination limit. */
  readonly key: string;
}

export const DESTINATION_REFUSED = 'WEBHOOK_DESTINATION_REFUSED';

/**
 * Resolves a webhook URL and vets every A/AAAA record against the policy: one refused record
 * refuses the destination (a name with a public and a private record could be steered to
 * either). The connection then goes to the vetted address itself, so a second lookup (DNS
 * rebinding) cannot swap it. A name that does not resolve is retryable (DNS may be down).
 */
export async function resolveDestination(raw: string, policy: AddressPolicy): Promise<Destination> {
  const url = new URL(raw);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new PermanentJobError(`webhook URL must be http or https: ${raw}`, DESTINATION_REFUSED);
  if (url.username || url.password)
    throw new PermanentJobError('webhook URL must not carry credentials', DESTINATION_REFUSED);
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  let records: { address: string; family: number }[];
  if (isIP(hostname)) records = [{ address: hostname, family: isIP(hostname) }];
  else {
    try {
      records = await lookup(hostname, { all: true, verbatim: true });
    } catch (err) {
      throw new RetryableJobError(
        `could not resolve ${hostname}: ${(err as Error).message}`,
        'WEBHOOK_DNS',
        { cause: err },
      );
    }
  }
  if (records.length === 0)
    throw new RetryableJobError(`${hostname} has no A/AAAA record`, 'WEBHOOK_DNS');
  for (const r of records) {
    const why = policy.refusal(r.address);
    if (why !== null)
      throw new PermanentJobError(
        `refused to deliver to ${hostname}: it resolves to ${r.address} (${why}); only public addresses, or those on WEBHOOK_ALLOW_CIDRS, are allowed`,
        DESTINATION_REFUSED,
      );
  }
  const first = records[0]!;
  return {
    url,
    hostname,
    port,
    address: first.address,
    family: first.family === 6 ? 6 : 4,
    key: `${hostname}:${port}`,
  };
}
