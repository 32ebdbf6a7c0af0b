/**
 * Who is calling. Tokens are compared in constant time: each candidate is hashed to a fixed
 * length and every candidate is compared, so neither the length nor the position of a match
 * leaks through timing.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Config, PeerConfig, UserConfig } from './config-schema.ts';

export type Caller =
  { kind: 'user'; name: string; user: UserConfig } | { kind: 'peer'; name: string; peer: PeerConfig } | { kind: 'admin'; name: 'admin' };

interface Entry {
  digest: Buffer;
  caller: Caller;
}

export class TokenTable {
  #entries: Entry[] = [];
  #peersByName = new Map<string, PeerConfig>();

  constructor(config: Pick<Config, 'users' | 'peers' | 'admin_token'>) {
    this.update(config);
  }

  /**
   * A config reload: the tables are replaced in one step, so every lookup sees either the old
   * users and peers or the new ones. Requests already admitted keep the caller they were given.
   */
  update(config: Pick<Config, 'users' | 'peers' | 'admin_token'>): void {
    const entries: Entry[] = [
      ...config.users.map((user) => ({ digest: digest(user.token), caller: { kind: 'user', name: user.name, user } as const })),
      ...config.peers.map((peer) => ({ digest: digest(peer.token), caller: { kind: 'peer', name: peer.name, peer } as const })),
    ];
    if (config.admin_token !== undefined) entries.push({ digest: digest(config.admin_token), caller: { kind: 'admin', name: 'admin' } });
    this.#entries = entries;
    this.#peersByName = new Map(config.peers.map((peer) => [peer.name, peer]));
  }

  /** Bearer or x-api-key, the two ways Claude Code and Codex send their token. */
  authenticate(headers: IncomingHttpHeaders): Caller | undefined {
    const token = presentedToken(headers);
    return token === undefined ? undefined : this.lookup(token);
  }

  lookup(token: string): Caller | undefined {
    const presented = digest(token);
    let found: Caller | undefined;
    for (const entry of this.#entries) {
      if (timingSafeEqual(entry.digest, presented)) found ??= entry.caller;
    }
    return found;
  }

  /** A request that arrived over a peer's tunnel is that peer's, without a second token. */
  peerCaller(name: string): Caller | undefined {
    const peer = this.#peersByName.get(name);
    return peer && { kind: 'peer', name, peer };
  }
}

export function presentedToken(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match?.[1] !== undefined) return match[1];
  }
  const apiKey = headers['x-api-key'];
  return typeof apiKey === 'string' && apiKey.length > 0 ? apiKey.trim() : undefined;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}
