import { describe, expect, it } from '@jest/globals';
import { newWebhookSecret, signatureHeader, signWebhook, verifyWebhook } from './signature.js';

describe('Standard Webhooks signatures', () => {
  it('matches the example vector of the specification', () => {
    expect(
      signWebhook(
        'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
        'msg_p5jXN8AQM9LWM0D4loKWxJek',
        1614265330,
        '{"test": 2432232314}',
      ),
    ).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('verifies any of several signatures, within the timestamp tolerance only', () => {
    const [a, b] = [newWebhookSecret(), newWebhookSecret()];
    const ts = 1_700_000_000;
    const signature = signatureHeader([a, b], 'msg_1', ts, '{}');
    expect(signature.split(' ')).toHaveLength(2);
    const h = { id: 'msg_1', timestamp: String(ts), signature };
    expect(verifyWebhook(b, h, '{}', { nowSeconds: ts + 10 })).toBe(true);
    expect(verifyWebhook(newWebhookSecret(), h, '{}', { nowSeconds: ts })).toBe(false);
    expect(verifyWebhook(a, { ...h, id: 'msg_2' }, '{}', { nowSeconds: ts })).toBe(false);
    expect(verifyWebhook(a, h, '{}', { nowSeconds: ts + 301 })).toBe(false);
  });

  it('makes whsec_ secrets of 32 random bytes', () => {
    const s = newWebhookSecret();
    expect(s).toMatch(/^whsec_/);
    expect(Buffer.from(s.slice(6), 'base64')).toHaveLength(32);
    expect(newWebhookSecret()).not.toBe(s);
  });
});
