/**
 * Our hub with one sing-box peer (`protocol: "sing-box"`) serving both Claude and Codex as
 * external credentials `sb` and `sb-cx`: the set-up the sing-box tests share, whether the peer
 * dials in (a connector) or is called at its url.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigValue, startNode, type RunningNode } from '../../src/node/index.ts';
import { capturingLogger } from './log-capture.ts';
import { assertNoSecrets } from './secrets.ts';

export const SING_BOX_TOKENS = {
  link: 'sing-box-link-token-0123456789ab',
  alice: 'alice-token-0123456789-abcdefgh',
  admin: 'admin-token-0123456789-abcdefgh',
};

/** A sing-box service's status as the tests serve it: some use of both windows, weight 7. */
export function sampleSingBoxStatus(nowSeconds = Math.floor(Date.now() / 1000)) {
  return {
    five_hour_utilization: 20,
    five_hour_reset: nowSeconds + 3600,
    weekly_utilization: 30,
    weekly_reset: nowSeconds + 86_400,
    plan_weight: 7,
  };
}

export interface SingBoxHub {
  hub: RunningNode;
  /** The hub's log lines, as JSON text. */
  lines: string[];
  /** Closes the hub, removes its folder, and checks its logs hold no token. */
  close(): Promise<void>;
}

/** `peer.url` absent: the peer dials in (a sing-box connector); present: the hub calls it there. */
export async function startSingBoxHub(peer: { name: string; url?: string }): Promise<SingBoxHub> {
  const dir = await mkdtemp(join(tmpdir(), 'qm-sb-hub-'));
  const { logger, lines } = capturingLogger();
  const hub = await startNode(
    parseConfigValue(
      {
        name: 'hub',
        listen: '127.0.0.1:0',
        state_dir: join(dir, 'state'),
        admin_token: SING_BOX_TOKENS.admin,
        users: [{ name: 'alice', token: SING_BOX_TOKENS.alice, allow_external_usage: true }],
        peers: [{ ...peer, token: SING_BOX_TOKENS.link, protocol: 'sing-box' }],
        claude: { credentials: [{ tag: 'sb', type: 'external', peer: peer.name }] },
        codex: { credentials: [{ tag: 'sb-cx', type: 'external', peer: peer.name }] },
      },
      { env: {}, homeDir: dir, baseDir: dir },
    ),
    { logger, drainMs: 200 },
  );
  return {
    hub,
    lines,
    close: async () => {
      await hub.close();
      await rm(dir, { recursive: true, force: true });
      assertNoSecrets(lines, Object.values(SING_BOX_TOKENS));
    },
  };
}
