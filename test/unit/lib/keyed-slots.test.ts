/**
 * KeyedSlots (issue 15): slots per key, and a bounded FIFO line whose every wait ends — with a
 * slot handed over directly, or refused when full, timed out or abandoned.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { KeyedSlots } from '../../../src/lib/index.ts';

function slots(caps: Record<string, number>, maxWaiting = 10): KeyedSlots<string> {
  return new KeyedSlots<string>({ capOf: (key) => caps[key] ?? Infinity, maxWaiting });
}

const never = new AbortController().signal;

describe('KeyedSlots', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('takes up to the cap, then refuses a take', () => {
    const s = slots({ a: 2 });
    expect([s.tryTake('a'), s.tryTake('a'), s.tryTake('a')]).toEqual([true, true, false]);
    expect(s.inFlight('a')).toBe(2);
    expect(s.isAtCap('a')).toBe(true);
  });

  it('hands a freed slot to the oldest waiter, not to a newcomer', async () => {
    const s = slots({ a: 1 });
    s.tryTake('a');
    const first = s.wait(['a'], { signal: never, timeoutMs: 1000 });
    const second = s.wait(['a'], { signal: never, timeoutMs: 1000 });
    s.release('a');
    expect(s.tryTake('a')).toBe(false);
    expect(await first).toBe('a');
    expect(s.waiting()).toBe(1);
    s.release('a');
    expect(await second).toBe('a');
    s.release('a');
    expect(s.inFlight('a')).toBe(0);
    expect(s.holders()).toEqual([]);
  });

  it('a waiter for several keys gets whichever frees first', async () => {
    const s = slots({ a: 1, b: 1 });
    s.tryTake('a');
    s.tryTake('b');
    const waiting = s.wait(['a', 'b'], { signal: never, timeoutMs: 1000 });
    s.release('b');
    expect(await waiting).toBe('b');
    expect(s.waiting()).toBe(0);
  });

  it('a freed slot goes to the first waiter that can use it', async () => {
    const s = slots({ a: 1, b: 1 });
    s.tryTake('a');
    s.tryTake('b');
    const forA = s.wait(['a'], { signal: never, timeoutMs: 1000 });
    const forB = s.wait(['b'], { signal: never, timeoutMs: 1000 });
    s.release('b');
    expect(await forB).toBe('b');
    expect(s.waiting('a')).toBe(1);
    s.release('a');
    expect(await forA).toBe('a');
  });

  it('refuses at once when the line is full', async () => {
    const s = slots({ a: 1 }, 2);
    s.tryTake('a');
    void s.wait(['a'], { signal: never, timeoutMs: 1000 });
    void s.wait(['a'], { signal: never, timeoutMs: 1000 });
    expect(await s.wait(['a'], { signal: never, timeoutMs: 1000 })).toBe('full');
    expect(s.waiting()).toBe(2);
  });

  it('a wait times out and leaves the line', async () => {
    const s = slots({ a: 1 });
    s.tryTake('a');
    const waiting = s.wait(['a'], { signal: never, timeoutMs: 500 });
    await vi.advanceTimersByTimeAsync(500);
    expect(await waiting).toBe('timeout');
    expect(s.waiting()).toBe(0);
    s.release('a');
    expect(s.inFlight('a')).toBe(0);
  });

  it('a waiter that goes away leaves the line and takes nothing', async () => {
    const s = slots({ a: 1 });
    s.tryTake('a');
    const abort = new AbortController();
    const waiting = s.wait(['a'], { signal: abort.signal, timeoutMs: 1000 });
    abort.abort();
    expect(await waiting).toBe('aborted');
    expect(s.waiting()).toBe(0);
    s.release('a');
    expect(s.inFlight('a')).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a lowered cap hands nothing over until in-flight drops below it', async () => {
    const caps = { a: 2 };
    const s = slots(caps);
    s.tryTake('a');
    s.tryTake('a');
    const waiting = s.wait(['a'], { signal: never, timeoutMs: 1000 });
    caps.a = 1;
    s.release('a');
    expect(s.waiting()).toBe(1);
    s.release('a');
    expect(await waiting).toBe('a');
    expect(s.inFlight('a')).toBe(1);
  });

  it('no key to wait for is refused, not held', async () => {
    expect(await slots({}).wait([], { signal: never, timeoutMs: 1000 })).toBe('full');
  });
});
