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

export interface PeerLink {
  readonly peerName: string;
  route(): PeerRoute | undefined;
  /** Fires when the tunnel comes up or goes down. */
  onChange(listener: () => void): () => void;
}
