/**
 * What a config reload would change (CONFIG.md › Reloading), as a plan: pure, no I/O. Entries of
 * a list are matched by their identity key (a user's or peer's `name`, a credential's `tag`) and
 * the rest of the entry is compared whole, so a key added to an entry later (limits, protocol,
 * max_concurrent) shows up as a change with no code here. Top-level keys the node cannot apply
 * while running are listed as needing a restart, and so is any top-level key this file does not
 * know: better a restart said than a setting silently ignored.
 */
import { isDeepStrictEqual } from 'node:util';
import { PROVIDER_NAMES, type ProviderName } from '../providers/index.ts';
import type { Config } from './config-schema.ts';

export interface ChangedEntry {
  key: string;
  /** The entry's keys whose values differ (never the values: they may be tokens). */
  fields: string[];
}

export interface EntryChanges {
  added: string[];
  removed: string[];
  changed: ChangedEntry[];
}

export interface ConfigChange {
  users: EntryChanges;
  peers: EntryChanges;
  /** Per configured provider: a provider section that appears or goes away. */
  providers: { added: ProviderName[]; removed: ProviderName[] };
  /** Per provider present before and after: credentials (balancers, which are routes, included) by tag. */
  credentials: Partial<Record<ProviderName, EntryChanges>>;
  /** Per provider present before and after: its own keys (`route`, `api_url`, …) that differ. */
  sections: Partial<Record<ProviderName, string[]>>;
  /** Other top-level keys that differ and are applied in place. */
  settings: string[];
  /** Top-level keys that differ and take effect only after a restart; the running node keeps the old value. */
  restartRequired: string[];
}

/**
 * Applied in place by the node besides users, peers and the provider sections (`alerts`: the
 * receivers, Alerts.reconfigure). Every other top-level key needs a restart: the listener and its
 * certificate (`listen`, `tls`), the node's identity on the mesh (`name`), the files it holds open
 * (`state_dir`), the bounds its tunnels were made with (`tunnel`), and `log_level` (pino's child
 * loggers keep the level they were made with).
 */
export const LIVE_SETTINGS: readonly string[] = ['admin_token', 'request_budget', 'alerts'];

/** A peer entry whose changes touch only these keeps its tunnel; any other change redials it. */
export const PEER_KEYS_KEEPING_TUNNEL: readonly string[] = ['share', 'allow_external_usage', 'max_plan_weight', 'limits'];

export function diffConfig(before: Config, after: Config): ConfigChange {
  const change: ConfigChange = {
    users: diffEntries(before.users, after.users, 'name'),
    peers: diffEntries(before.peers, after.peers, 'name'),
    providers: { added: [], removed: [] },
    credentials: {},
    sections: {},
    settings: [],
    restartRequired: [],
  };
  for (const provider of PROVIDER_NAMES) {
    const old = before[provider];
    const next = after[provider];
    if (old === undefined && next !== undefined) change.providers.added.push(provider);
    else if (old !== undefined && next === undefined) change.providers.removed.push(provider);
    else if (old !== undefined && next !== undefined) {
      const credentials = diffEntries(old.credentials, next.credentials, 'tag');
      if (!isEmptyEntries(credentials)) change.credentials[provider] = credentials;
      const fields = differingKeys(withoutCredentials(old), withoutCredentials(next));
      if (fields.length > 0) change.sections[provider] = fields;
    }
  }
  const handled = new Set<string>(['users', 'peers', ...PROVIDER_NAMES]);
  for (const key of differingKeys(before, after)) {
    if (handled.has(key)) continue;
    if (LIVE_SETTINGS.includes(key)) change.settings.push(key);
    else change.restartRequired.push(key);
  }
  return change;
}

export function isEmptyChange(change: ConfigChange): boolean {
  return (
    isEmptyEntries(change.users) &&
    isEmptyEntries(change.peers) &&
    change.providers.added.length === 0 &&
    change.providers.removed.length === 0 &&
    Object.keys(change.credentials).length === 0 &&
    Object.keys(change.sections).length === 0 &&
    change.settings.length === 0 &&
    change.restartRequired.length === 0
  );
}

/**
 * The config to run after a reload: the new one, except that keys needing a restart keep the
 * running value (the listener and the tunnel handshake still use it until then).
 */
export function effectiveConfig(running: Config, next: Config, change: ConfigChange): Config {
  const kept = Object.fromEntries(change.restartRequired.map((key) => [key, (running as Record<string, unknown>)[key]]));
  return Object.freeze({ ...next, ...kept }) as Config;
}

/** One line per change, for the log and `quotamesh check --against`: `+` added, `-` removed, `~` changed, `!` needs a restart. */
export function describeChange(change: ConfigChange): string[] {
  const lines: string[] = [];
  const entries = (prefix: string, changes: EntryChanges): void => {
    for (const key of changes.added) lines.push(`+ ${prefix}.${key}`);
    for (const key of changes.removed) lines.push(`- ${prefix}.${key}`);
    for (const { key, fields } of changes.changed) lines.push(`~ ${prefix}.${key} (${fields.join(', ')})`);
  };
  entries('users', change.users);
  entries('peers', change.peers);
  for (const provider of change.providers.added) lines.push(`+ ${provider}`);
  for (const provider of change.providers.removed) lines.push(`- ${provider}`);
  for (const provider of PROVIDER_NAMES) {
    const fields = change.sections[provider];
    if (fields !== undefined) lines.push(`~ ${provider} (${fields.join(', ')})`);
    const credentials = change.credentials[provider];
    if (credentials !== undefined) entries(`${provider}.credentials`, credentials);
  }
  for (const key of change.settings) lines.push(`~ ${key}`);
  for (const key of change.restartRequired) lines.push(`! ${key} (needs a restart)`);
  return lines;
}

function diffEntries<Entry extends object, Key extends keyof Entry>(
  before: readonly Entry[],
  after: readonly Entry[],
  key: Key,
): EntryChanges {
  const identity = (entry: Entry): string => String(entry[key]);
  const old = new Map(before.map((entry) => [identity(entry), entry]));
  const next = new Map(after.map((entry) => [identity(entry), entry]));
  return {
    added: [...next.keys()].filter((name) => !old.has(name)),
    removed: [...old.keys()].filter((name) => !next.has(name)),
    changed: [...next].flatMap(([name, entry]) => {
      const previous = old.get(name);
      if (previous === undefined) return [];
      const fields = differingKeys(previous, entry);
      return fields.length === 0 ? [] : [{ key: name, fields }];
    }),
  };
}

/** Keys of either object whose values are not deeply equal; an absent key equals `undefined`. */
export function differingKeys(before: object, after: object): string[] {
  const old = before as Record<string, unknown>;
  const next = after as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(old), ...Object.keys(next)])];
  return keys.filter((key) => !isDeepStrictEqual(old[key], next[key]));
}

function isEmptyEntries(changes: EntryChanges): boolean {
  return changes.added.length === 0 && changes.removed.length === 0 && changes.changed.length === 0;
}

function withoutCredentials(section: object): object {
  const { credentials: _credentials, ...rest } = section as { credentials?: unknown };
  return rest;
}
