import { describe, expect, it } from 'vitest';
import { FaultScript, parseScriptEntry } from '../../../src/sim/faults.ts';

describe('FaultScript', () => {
  it('hands out faults first in, first out', () => {
    const script = new FaultScript();
    script.add({ fault: { type: 'overloaded' } });
    script.add({ fault: { type: 'revoked' } });
    expect(script.take('messages', 'a')?.type).toBe('overloaded');
    expect(script.take('messages', 'a')?.type).toBe('revoked');
    expect(script.take('messages', 'a')).toBeUndefined();
  });

  it('skips entries for other accounts and endpoints', () => {
    const script = new FaultScript();
    script.add({ account: 'b', fault: { type: 'overloaded' } });
    script.add({ endpoint: 'usage', fault: { type: 'server_error' } });
    expect(script.take('messages', 'a')).toBeUndefined();
    expect(script.take('usage', 'a')?.type).toBe('server_error');
    expect(script.take('messages', 'b')?.type).toBe('overloaded');
  });

  it('repeats an entry `times` times', () => {
    const script = new FaultScript();
    script.add({ times: 2, fault: { type: 'server_error', status: 502 } });
    expect(script.take('messages', undefined)).toEqual({ type: 'server_error', status: 502 });
    expect(script.pending()).toHaveLength(1);
    expect(script.take('messages', undefined)).toEqual({ type: 'server_error', status: 502 });
    expect(script.pending()).toHaveLength(0);
  });
});

describe('parseScriptEntry', () => {
  it.each([
    ['not an object', 42, /object/],
    ['unknown endpoint', { endpoint: 'nope', fault: { type: 'overloaded' } }, /endpoint/],
    ['fault not allowed on the endpoint', { endpoint: 'usage', fault: { type: 'stall' } }, /fault.type for usage/],
    ['zero times', { times: 0, fault: { type: 'overloaded' } }, /times/],
    ['negative delay', { fault: { type: 'slow', delayMs: -1 } }, /delayMs/],
    ['slow without delay', { fault: { type: 'slow' } }, /delayMs is required/],
  ])('rejects %s', (_name, value, message) => {
    expect(() => parseScriptEntry(value)).toThrow(message);
  });

  it('defaults the endpoint to messages', () => {
    expect(parseScriptEntry({ fault: { type: 'cut', afterEvents: 3 } }).endpoint).toBe('messages');
  });
});
