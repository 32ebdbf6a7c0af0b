/** Session tunables and defaults (PROTOCOL.md › Yamux profile: ping 15 s, dead after 30 s without pong). */
import { INITIAL_STREAM_WINDOW, MAX_UINT32 } from './frame.ts';
import type { TunnelLogger } from '../logger.ts';

export interface SessionOptions {
  role: 'client' | 'server';
  /** Stamped on every stream so requests arriving through it can be attributed. */
  peerName?: string | undefined;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
  keepaliveIntervalMs?: number;
  keepaliveTimeoutMs?: number;
  /** Open streams in both directions together; beyond it inbound SYNs are reset. */
  maxStreams?: number;
  /** Inbound streams held unacknowledged while nobody listens for 'stream'. */
  acceptBacklog?: number;
  /** Receive window granted per stream when it opens; at least the protocol's 256 KiB. */
  streamWindowBytes?: number;
  /** How far a stream's window may grow for a reader that keeps up (libp2p-yamux: 16 MiB). */
  maxStreamWindowBytes?: number;
  /** Window growth beyond streamWindowBytes, summed over the session's streams. */
  sessionWindowBudgetBytes?: number;
  /**
   * Control frames (pong, window update, ACK, RST) queued while the peer is not draining our
   * side; beyond it the session stops reading from the peer until the transport drains.
   */
  maxControlBacklogBytes?: number;
  maxFrameBytes?: number;
  /** How long close() lets open streams finish, and how long a closing transport may linger. */
  closeGraceMs?: number;
  /** How long a destroyed stream waits for the peer's FIN before resetting it. */
  streamLingerMs?: number;
  logger?: TunnelLogger | undefined;
}

/** What a tunnel's owner may tune; role, peer and address come from the handshake. */
export type SessionTunables = Omit<SessionOptions, 'role' | 'peerName' | 'remoteAddress' | 'remotePort' | 'logger'>;

export type ResolvedSessionOptions = Required<Omit<SessionOptions, 'peerName' | 'remoteAddress' | 'remotePort' | 'logger'>>;

export function resolveSessionOptions(options: SessionOptions): ResolvedSessionOptions {
  const streamWindowBytes = Math.max(options.streamWindowBytes ?? INITIAL_STREAM_WINDOW, INITIAL_STREAM_WINDOW);
  return {
    role: options.role,
    keepaliveIntervalMs: options.keepaliveIntervalMs ?? 15_000,
    keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? 30_000,
    maxStreams: options.maxStreams ?? 1024,
    acceptBacklog: options.acceptBacklog ?? 256,
    streamWindowBytes,
    maxStreamWindowBytes: Math.min(Math.max(options.maxStreamWindowBytes ?? 16 * 1024 * 1024, streamWindowBytes), MAX_UINT32),
    sessionWindowBudgetBytes: Math.max(options.sessionWindowBudgetBytes ?? 64 * 1024 * 1024, 0),
    maxControlBacklogBytes: Math.max(options.maxControlBacklogBytes ?? 256 * 1024, 1024),
    maxFrameBytes: options.maxFrameBytes ?? 128 * 1024,
    closeGraceMs: options.closeGraceMs ?? 5_000,
    streamLingerMs: options.streamLingerMs ?? 30_000,
  };
}
