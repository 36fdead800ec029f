import { describe, expect, it } from '@jest/globals';
import { PriorityBuffer } from './priority-buffer.js';

describe('PriorityBuffer', () => {
  it('hands out the highest rank first, and equal ranks in arrival order', () => {
    const b = new PriorityBuffer<string>();
    b.push(0, 'low-1');
    b.push(1, 'normal-1');
    b.push(0, 'low-2');
    b.push(3, 'urgent-1');
    b.push(1, 'normal-2');
    b.push(3, 'urgent-2');
    const out: string[] = [];
    for (let x = b.take(); x !== undefined; x = b.take()) out.push(x);
    expect(out).toEqual(['urgent-1', 'urgent-2', 'normal-1', 'normal-2', 'low-1', 'low-2']);
    expect(b.size).toBe(0);
  });

  it('lets a late urgent item overtake a backlog', () => {
    const b = new PriorityBuffer<number>();
    for (let i = 0; i < 100; i++) b.push(0, i);
    expect(b.take()).toBe(0);
    b.push(3, 999);
    expect(b.take()).toBe(999);
    expect(b.take()).toBe(1);
    expect(b.drain()).toHaveLength(98);
    expect(b.take()).toBeUndefined();
  });
});
