import { describe, expect, it } from 'vitest';
import { waitFor } from '../../helpers/wait-for.ts';

describe('waitFor', () => {
  it('resolves with the first truthy value of the condition', async () => {
    let calls = 0;
    const found = await waitFor(() => (++calls === 3 ? { calls } : undefined), 'the third call');
    expect(found).toEqual({ calls: 3 });
  });

  it('keeps polling through a condition that throws', async () => {
    let calls = 0;
    const value = await waitFor(async () => {
      calls += 1;
      if (calls < 3) throw new Error('not yet');
      return 'ready';
    }, 'a condition that stops throwing');
    expect(value).toBe('ready');
  });

  it('names what it waited for, how long, and what the last check gave', async () => {
    await expect(waitFor(() => 0, { message: 'the answer', timeoutMs: 30, intervalMs: 5 })).rejects.toThrow(
      'timed out after 30 ms waiting for the answer (the last check gave 0)',
    );
  });

  it('names the last error of a condition that kept throwing, and keeps it as the cause', async () => {
    const cause = new Error('connection refused');
    const failure = await waitFor(
      () => {
        throw cause;
      },
      { message: 'the server', timeoutMs: 30, intervalMs: 5 },
    ).catch((error: unknown) => error as Error);
    expect(failure.message).toBe('timed out after 30 ms waiting for the server (the last check threw Error: connection refused)');
    expect(failure.cause).toBe(cause);
  });
});
