import { describe, expect, it } from '@jest/globals';
import { limitsForJob, payloadKeyOf } from '@conveyor/contracts';
import { fairKeyOf, ownerOfFairKey } from './fair.js';
import { concurrencyOf, typeOfLimit } from './limit-sweep.js';

describe('fair keys', () => {
  it("is the owner, or the owner and the type's fairKey value", () => {
    const payload = { customer: { id: 'c-7' } };
    expect(fairKeyOf('alice', payload, undefined)).toBe('alice');
    const keyed = fairKeyOf('alice', payload, 'customer.id');
    expect(keyed).not.toBe(fairKeyOf('alice', { customer: { id: 'c-8' } }, 'customer.id'));
    expect(ownerOfFairKey(keyed)).toBe('alice');
    // a payload without the field shares the owner's turn
    expect(fairKeyOf('alice', {}, 'customer.id')).toBe('alice');
  });
});

describe('limits of one job', () => {
  it('names a limit per scope, with the payload key where the type has one', () => {
    const applied = limitsForJob(
      'acme.deliver',
      {
        concurrency: 20,
        perOwner: { rate: { limit: 5, periodMs: 1000 } },
        perKey: { key: 'to.host', concurrency: 2 },
      },
      'alice',
      { to: { host: 'example.com' } },
    );
    expect(applied.map((l) => l.id)).toEqual([
      'type:acme.deliver',
      'owner:acme.deliver:alice',
      'key:acme.deliver:example.com',
    ]);
    expect(applied.map((l) => typeOfLimit(l.id))).toEqual(Array(3).fill('acme.deliver'));
    expect(
      concurrencyOf('key:acme.deliver:example.com', { perKey: { key: 'x', concurrency: 2 } }),
    ).toBe(2);
    expect(concurrencyOf('owner:acme.deliver:alice', {})).toBeUndefined();
    expect(payloadKeyOf({ a: [1] }, 'a')).toBeUndefined();
  });
});
