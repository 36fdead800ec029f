import { describe, expect, it } from '@jest/globals';
import { AddressPolicy, parseCidr } from './address-policy.js';

describe('AddressPolicy', () => {
  const policy = new AddressPolicy();

  it.each([
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['169.254.169.254', 'linkLocal'],
    ['100.64.0.1', 'carrierGradeNat'],
    ['224.0.0.1', 'multicast'],
    ['0.0.0.0', 'unspecified'],
    ['255.255.255.255', 'broadcast'],
    ['::1', 'loopback'],
    ['fd00::1', 'uniqueLocal'],
    ['fe80::1', 'linkLocal'],
    ['ff02::1', 'multicast'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:169.254.169.254', 'linkLocal'],
  ])('refuses %s (%s)', (ip, range) => {
    expect(policy.refusal(ip)).toBe(range);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111'])('allows public %s', (ip) => {
    expect(policy.refusal(ip)).toBeNull();
  });

  it('refuses IPv6 forms that embed IPv4 (6to4, NAT64) and documentation ranges', () => {
    expect(policy.refusal('2002:7f00:1::')).not.toBeNull();
    expect(policy.refusal('64:ff9b::7f00:1')).not.toBeNull();
    expect(policy.refusal('2001:db8::1')).not.toBeNull();
    expect(policy.refusal('192.0.2.1')).not.toBeNull();
  });

  it('lets an allow-list open exactly its ranges, also for IPv4-mapped forms', () => {
    const allow = new AddressPolicy(['127.0.0.1/32', '10.9.0.0/16']);
    expect(allow.refusal('127.0.0.1')).toBeNull();
    expect(allow.refusal('::ffff:127.0.0.1')).toBeNull();
    expect(allow.refusal('127.0.0.2')).toBe('loopback');
    expect(allow.refusal('10.9.200.1')).toBeNull();
    expect(allow.refusal('10.10.0.1')).toBe('private');
    expect(allow.refusal('::1')).toBe('loopback');
  });

  it('names a bad allow-list entry', () => {
    expect(() => parseCidr('10.0.0.0/99')).toThrow('"10.0.0.0/99"');
    expect(() => parseCidr('example.com')).toThrow('not an IP address');
  });
});
