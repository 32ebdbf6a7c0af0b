/**
 * The tunnel layer (PROTOCOL.md › Tunnel handshake, Yamux profile): yamux over a WebSocket,
 * HTTP/1.1 over yamux streams in both directions. The node wires `acceptor.handleUpgrade` to its
 * server's 'upgrade' event for /v1/tunnel, runs one dialer per connector peer, and registers every
 * session in PeerSessions.
 */
export { TunnelAcceptor, createTunnelAcceptor, type TunnelAcceptorOptions } from './acceptor.ts';
export { TunnelDialer, createTunnelDialer, type TunnelDialerOptions, type DialerState } from './dialer.ts';
export { PeerSessions, type PeerSessionsOptions, type PeerSessionsEvents } from './peers.ts';
export { TunnelAgent, peerNameOfSocket, serveStreamsWith } from './http-over-mux.ts';
export { TunnelError, type TunnelErrorCode } from './errors.ts';
export { TUNNEL_PATH, TUNNEL_SUBPROTOCOL, signAuthorization, tunnelUrl, type TunnelPeer } from './handshake.ts';
export { ReconnectSchedule, type ReconnectOptions } from './reconnect-schedule.ts';
export type { TunnelLogger } from './logger.ts';
export { YamuxSession } from './yamux/session.ts';
export type { SessionOptions, SessionTunables } from './yamux/session-options.ts';
export { YamuxStream } from './yamux/stream.ts';
export { FailureLimiter } from './failure-limiter.ts';
export { ReverseAcceptor, type ReverseAcceptorOptions } from './reverse-acceptor.ts';
export { ReverseDialer, type ReverseDialerOptions } from './reverse-dialer.ts';
export {
  MISSING_UPGRADE,
  refusalBody,
  reversePath,
  singBoxStatusPath,
  SING_BOX_SERVICES,
  type SingBoxService,
} from './reverse-handshake.ts';
