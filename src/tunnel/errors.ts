/**
 * Tunnel failures as QuotaMeshErrors: to a request they all mean "this peer cannot be reached
 * right now", a 502 the pool may fail over from. `code` tells the cases apart in logs and tests.
 */
import { QuotaMeshError } from '../lib/index.ts';

export type TunnelErrorCode =
  | 'tunnel_unavailable'
  | 'tunnel_closed'
  | 'remote_goaway'
  | 'too_many_streams'
  | 'stream_refused'
  | 'stream_reset'
  | 'keepalive_timeout'
  | 'peer_unresponsive'
  | 'protocol_error'
  | 'transport_error'
  | 'unauthorized'
  | 'handshake_failed';

export class TunnelError extends QuotaMeshError {
  declare readonly code: TunnelErrorCode;

  constructor(code: TunnelErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, 502, 'api_error', message, options);
    this.name = 'TunnelError';
  }
}
