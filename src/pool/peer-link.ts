/**
 * How an external credential reaches its peer, as the node provides it: through the peer's live
 * tunnel when there is one, else over HTTPS with the peer token (normal peers), else not at all
 * (a receiver whose tunnel is down). The pool never sees sockets (ARCHITECTURE.md › The one-way import rule).
 */
import type { Agent } from 'node:http';

export interface PeerRoute {
  baseUrl: string;
  agent: Agent;
  /** Authorization for the HTTPS path; empty over a tunnel (the tunnel is the authentication). */
  headers: Record<string, string>;
  viaTunnel: boolean;
}

/**
 * Which status watch to follow and what a refusal of it means. Ours stops on a 4xx (it will not
 * fix itself); against a sing-box node, which may not have the path at all, any 4xx/5xx is retried
 * at the slowest rate and reported once.
 */
export interface StatusWatch {
  pathAndQuery: string;
  onRefusal: 'stop' | 'retry_slowly';
}

export interface PeerLink {
  readonly peerName: string;
  /** Default: `/v1/status?provider=<provider>&watch=true`, stopping on a 4xx. */
  readonly statusWatch?: StatusWatch;
  route(): PeerRoute | undefined;
  /** Fires when the tunnel comes up or goes down. */
  onChange(listener: () => void): () => void;
}
