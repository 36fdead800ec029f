import { describe, expect, it } from '@jest/globals';
import { AttemptTracker } from './attempts.js';

describe('AttemptTracker', () => {
  it('refuses events of an attempt older than one already seen', () => {
    const t = new AttemptTracker();
    expect(t.observe('a', 1)).toBe(true);
    expect(t.observe('a', 2)).toBe(true);
    expect(t.observe('a', 1)).toBe(false);
    expect(t.observe('a', 2)).toBe(true);
    expect(t.observe('b', 1)).toBe(true);
  });

  it('forgets the least recently seen jobs beyond its capacity', () => {
    const t = new AttemptTracker(2);
    t.observe('a', 3);
    t.observe('b', 1);
    t.observe('c', 1);
    // 'a' was evicted: its old attempt is no longer known to be stale
    expect(t.observe('a', 1)).toBe(true);
    expect(t.observe('c', 0)).toBe(false);
  });
});
