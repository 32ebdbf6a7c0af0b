/**
 * The starting config `quotamesh init` writes, as commented JSON (the loader takes comments:
 * src/node/config-comments.ts). Two cases: a hub that laptops dial, and a laptop that dials a hub
 * and shares its own subscription there. Pure: tokens and what logins exist are passed in.
 */

export interface HubPlan {
  role: 'hub';
  name: string;
  listen: string;
  adminToken: string;
  userToken: string;
  linkToken: string;
  /** This machine's own logins, when it has them (credential file paths as written). */
  claudePath?: string;
  codexPath?: string;
}

export interface LaptopPlan {
  role: 'laptop';
  name: string;
  listen: string;
  adminToken: string;
  userToken: string;
  hubUrl: string;
  linkToken: string;
  claudePath: string;
  codexPath?: string;
}

export type InitPlan = HubPlan | LaptopPlan;

export const CLAUDE_CREDENTIAL_PATH = '~/.claude/.credentials.json';
export const CODEX_CREDENTIAL_PATH = '~/.codex/auth.json';

interface Entry {
  comment?: string[];
  key?: string;
  /** Written with JSON.stringify on one line, unless it is a `Block`. */
  value: unknown;
}

/** A nested object or array whose entries carry their own comments. */
class Block {
  readonly kind: 'object' | 'array';
  readonly entries: Entry[];
  constructor(kind: 'object' | 'array', entries: Entry[]) {
    this.kind = kind;
    this.entries = entries;
  }
}

export function renderInitConfig(plan: InitPlan): string {
  const header =
    plan.role === 'hub'
      ? ['quotamesh hub, written by `quotamesh init --hub`. Every key is in docs/CONFIG.md; comments are allowed.']
      : ['quotamesh laptop, written by `quotamesh init --laptop`. Every key is in docs/CONFIG.md; comments are allowed.'];
  header.push(
    'Tokens are written here as they are: keep this file private (it is created 0600), or move',
    'each to an environment variable and write "${NAME}" in its place.',
  );
  const root = new Block('object', plan.role === 'hub' ? hubEntries(plan) : laptopEntries(plan));
  return `${header.map((line) => `// ${line}`).join('\n')}\n${render(root, '')}\n`;
}

function hubEntries(plan: HubPlan): Entry[] {
  return [
    {
      comment: ["This node's name in status, logs and the tunnel handshake; every node of a mesh needs its own."],
      key: 'name',
      value: plan.name,
    },
    {
      comment: [
        'Where it listens. Laptops and people on other machines reach it here; on an open network set',
        '"tls" (docs/CONFIG.md) or put a TLS proxy in front, since tokens travel in headers.',
      ],
      key: 'listen',
      value: plan.listen,
    },
    { comment: ['Sees every credential in the dashboard and /v1/status, and reads /metrics.'], key: 'admin_token', value: plan.adminToken },
    {
      comment: [
        'The people who send requests. Claude Code: ANTHROPIC_BASE_URL=<this hub> ANTHROPIC_AUTH_TOKEN=<token>.',
        "allow_external_usage: they may be served from the laptop's subscription, not only the hub's own.",
      ],
      key: 'users',
      value: [{ name: 'me', token: plan.userToken, allow_external_usage: true }],
    },
    {
      comment: [
        'The laptop that dials this hub; its config has the same token (quotamesh init --laptop --link-token).',
        'One entry per laptop, each with its own token (quotamesh token).',
      ],
      key: 'peers',
      value: [{ name: 'laptop', token: plan.linkToken }],
    },
    ...providerEntry('claude', plan.claudePath, 'Claude', 'laptop'),
    ...providerEntry('codex', plan.codexPath, 'Codex', 'laptop-codex'),
  ];
}

/** A hub's provider section: its own login when it has one, the laptop's, and a balancer over both. */
function providerEntry(key: 'claude' | 'codex', ownPath: string | undefined, label: string, laptopTag: string): Entry[] {
  const own = `hub${key === 'codex' ? '-codex' : ''}`;
  const credentials: Entry[] = [];
  if (ownPath !== undefined) {
    credentials.push({ comment: [`This machine's own ${label} login.`], value: { tag: own, type: 'default', path: ownPath } });
  }
  credentials.push({
    comment: [`The laptop's ${label} subscription, reached through the tunnel it dials (unavailable while it is down).`],
    value: { tag: laptopTag, type: 'external', peer: 'laptop' },
  });
  const entries: Entry[] = [];
  if (ownPath !== undefined) {
    credentials.push({
      comment: ['Each request goes to whichever has more left.'],
      value: { tag: 'pool', type: 'balancer', credentials: [own, laptopTag] },
    });
    entries.push({ key: 'route', value: 'pool' });
  }
  entries.push({ key: 'credentials', value: new Block('array', credentials) });
  return [{ comment: [`${label}: what users of this hub draw on.`], key, value: new Block('object', entries) }];
}

function laptopEntries(plan: LaptopPlan): Entry[] {
  const share: Record<string, string> = { claude: 'mine' };
  if (plan.codexPath !== undefined) share.codex = 'mine-codex';
  const entries: Entry[] = [
    {
      comment: ["This node's name in status, logs and the tunnel handshake; every node of a mesh needs its own."],
      key: 'name',
      value: plan.name,
    },
    {
      comment: ['Only this machine: the hub reaches this node through the tunnel it dials, so no port is opened.'],
      key: 'listen',
      value: plan.listen,
    },
    { comment: ["This node's dashboard and /metrics."], key: 'admin_token', value: plan.adminToken },
    {
      comment: ['You, on this machine, if you point Claude Code or Codex at this node rather than at the vendor.'],
      key: 'users',
      value: [{ name: 'me', token: plan.userToken }],
    },
    {
      comment: [
        'The hub. reverse: this node dials {url}/v1/tunnel and keeps the tunnel up (it works behind NAT).',
        "token: the hub's link token for this laptop. share: what the hub's users may draw on here.",
      ],
      key: 'peers',
      value: [{ name: 'hub', url: plan.hubUrl, token: plan.linkToken, reverse: true, share }],
    },
    {
      comment: ['Your Claude login, as Claude Code keeps it (log in with `claude` first); refreshed tokens are written back.'],
      key: 'claude',
      value: { credentials: [{ tag: 'mine', type: 'default', path: plan.claudePath }] },
    },
  ];
  if (plan.codexPath !== undefined) {
    entries.push({
      comment: ['Your Codex login, as Codex CLI keeps it.'],
      key: 'codex',
      value: { credentials: [{ tag: 'mine-codex', type: 'default', path: plan.codexPath }] },
    });
  }
  return entries;
}

function render(block: Block, indent: string): string {
  const inner = `${indent}  `;
  const lines = block.entries.map((entry, index) => {
    const comments = (entry.comment ?? []).map((line) => `${inner}// ${line}\n`).join('');
    const key = block.kind === 'object' ? `${JSON.stringify(entry.key)}: ` : '';
    const value = entry.value instanceof Block ? render(entry.value, inner) : oneLine(entry.value);
    return `${comments}${inner}${key}${value}${index < block.entries.length - 1 ? ',' : ''}`;
  });
  const [open, close] = block.kind === 'object' ? ['{', '}'] : ['[', ']'];
  return `${open}\n${lines.join('\n')}\n${indent}${close}`;
}

/** JSON on one line with a space after each colon and comma, as a person would write it. */
function oneLine(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(oneLine).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).map(([key, item]) => `${JSON.stringify(key)}: ${oneLine(item)}`);
    return `{ ${fields.join(', ')} }`;
  }
  return JSON.stringify(value);
}
