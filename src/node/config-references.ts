/**
 * The config rules (CONFIG.md › Cross-field rules) that a schema cannot express: tags unique per
 * provider, balancers listing default/external tags of their own provider, routes and shares naming
 * real tags, peers referenced by external credentials existing, reserve and limit not both set.
 */
import { PROVIDER_NAMES } from '../providers/index.ts';
import type { Config, ProviderConfig } from './config-schema.ts';

export type Problem = { path: string; message: string };

export function checkReferences(config: Config): Problem[] {
  const problems: Problem[] = [];
  const peerNames = new Set<string>();
  config.peers.forEach((peer, index) => {
    if (peerNames.has(peer.name)) problems.push({ path: `peers[${index}].name`, message: `duplicate peer name "${peer.name}"` });
    peerNames.add(peer.name);
    if (peer.reverse && peer.url === undefined) {
      problems.push({ path: `peers[${index}].reverse`, message: 'a connector (reverse: true) needs a url' });
    }
    if (peer.protocol === 'sing-box' && peer.url !== undefined && !peer.allow_insecure && isCleartextOffLoopback(peer.url)) {
      problems.push({
        path: `peers[${index}].url`,
        message: 'a sing-box peer sends its token in clear: use https://, or set allow_insecure: true to send it over http:// anyway',
      });
    }
  });
  for (const provider of PROVIDER_NAMES) {
    const section = config[provider];
    const tags = section ? checkProvider(provider, section, peerNames, problems) : new Set<string>();
    const soleTag = section?.credentials.length === 1 ? section.credentials[0]?.tag : undefined;
    config.users.forEach((user, index) => {
      checkTagRef(`users[${index}].${provider}`, user[provider], tags, section !== undefined, problems);
      if (section && user[provider] === undefined && section.route === undefined && soleTag === undefined) {
        problems.push({
          path: `users[${index}].${provider}`,
          message: `${provider} has several credentials: set ${provider}.route or a route for this user`,
        });
      }
    });
    config.peers.forEach((peer, index) => {
      checkTagRef(`peers[${index}].share.${provider}`, peer.share[provider], tags, section !== undefined, problems);
    });
  }
  checkUniqueSecrets(config, problems);
  return problems;
}

function checkProvider(provider: string, section: ProviderConfig, peerNames: Set<string>, problems: Problem[]): Set<string> {
  const kinds = new Map<string, string>();
  section.credentials.forEach((credential, index) => {
    const path = `${provider}.credentials[${index}]`;
    if (kinds.has(credential.tag)) problems.push({ path: `${path}.tag`, message: `duplicate tag "${credential.tag}"` });
    kinds.set(credential.tag, credential.type);
    if (credential.type === 'default') {
      for (const window of ['5h', 'weekly'] as const) {
        if (credential[`reserve_${window}`] !== undefined && credential[`limit_${window}`] !== undefined) {
          problems.push({ path: `${path}.limit_${window}`, message: `set reserve_${window} or limit_${window}, not both` });
        }
      }
    }
    if (credential.type === 'external' && !peerNames.has(credential.peer)) {
      problems.push({ path: `${path}.peer`, message: `no peer named "${credential.peer}" in peers` });
    }
  });
  section.credentials.forEach((credential, index) => {
    if (credential.type !== 'balancer') return;
    credential.credentials.forEach((member, memberIndex) => {
      const path = `${provider}.credentials[${index}].credentials[${memberIndex}]`;
      const kind = kinds.get(member);
      if (kind === undefined) problems.push({ path, message: `no ${provider} credential tagged "${member}"` });
      else if (kind === 'balancer') problems.push({ path, message: `"${member}" is a balancer; balancers cannot be nested` });
    });
  });
  checkTagRef(`${provider}.route`, section.route, new Set(kinds.keys()), true, problems);
  return new Set(kinds.keys());
}

function checkTagRef(path: string, value: string | undefined, tags: Set<string>, sectionExists: boolean, problems: Problem[]): void {
  if (value === undefined) return;
  if (!sectionExists) problems.push({ path, message: 'this provider is not configured' });
  else if (!tags.has(value)) problems.push({ path, message: `no credential tagged "${value}"` });
}

function checkUniqueSecrets(config: Config, problems: Problem[]): void {
  const seen = new Map<string, string>();
  const remember = (path: string, token: string | undefined): void => {
    if (token === undefined) return;
    const earlier = seen.get(token);
    if (earlier !== undefined) problems.push({ path, message: `same token as ${earlier}; every user, peer and admin needs its own` });
    else seen.set(token, path);
  };
  remember('admin_token', config.admin_token);
  config.users.forEach((user, index) => remember(`users[${index}].token`, user.token));
  config.peers.forEach((peer, index) => remember(`peers[${index}].token`, peer.token));
}

/** http:// to anything but this machine: a sing-box peer's Bearer token would cross the network in clear. */
export function isCleartextOffLoopback(url: string): boolean {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:') return false;
  const host = parsed.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  return !(host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host));
}
