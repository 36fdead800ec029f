import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is judged as the IPv4 address it carries. */
function normalize(ip: string): Address {
  const addr = ipaddr.parse(ip);
  if (addr.kind() === 'ipv6' && (addr as ipaddr.IPv6).isIPv4MappedAddress())
    return (addr as ipaddr.IPv6).toIPv4Address();
  return addr;
}

/**
 * Which addresses a webhook may connect to. Only globally routed unicast is allowed:
 * loopback, private (RFC 1918), link-local (and so the cloud metadata address
 * 169.254.169.254), multicast, broadcast, carrier-grade NAT (100.64/10), unspecified,
 * reserved and documentation ranges, IPv6 unique-local (fc00::/7) and link-local, and the
 * IPv6 forms that embed an IPv4 address (6to4, Teredo, NAT64) are refused — unless an
 * operator's allow-list (CIDRs) names them.
 */
export class AddressPolicy {
  private readonly allowed: [Address, number][];

  /** `allowCidrs`: e.g. `["127.0.0.1/32", "10.1.0.0/16"]`; a bare address means /32 or /128. */
  constructor(allowCidrs: readonly string[] = []) {
    this.allowed = allowCidrs.map((c) => parseCidr(c));
  }

  /** Why `ip` is refused (its range's name), or null when a webhook may connect to it. */
  refusal(ip: string): string | null {
    if (!ipaddr.isValid(ip)) return 'not an IP address';
    const addr = normalize(ip);
    for (const [net, bits] of this.allowed)
      if (net.kind() === addr.kind() && addr.match(net, bits)) return null;
    const range = addr.range();
    return range === 'unicast' ? null : range;
  }
}

/** Parses one allow-list entry; throws with the entry in the message when it is not a CIDR. */
export function parseCidr(cidr: string): [Address, number] {
  const text = cidr.trim();
  try {
    if (text.includes('/')) return ipaddr.parseCIDR(text);
    const addr = normalize(text);
    return [addr, addr.kind() === 'ipv4' ? 32 : 128];
  } catch {
    throw new Error(`${JSON.stringify(cidr)} is not an IP address or CIDR range`);
  }
}
