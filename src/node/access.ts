/**
 * Which route a caller may draw on for a provider (CONFIG.md › users, peers): users by their own route or the
 * provider's, peers by `share`, with external credentials only when the caller is allowed
 * multi-hop use. A peer without a share entry gets nothing (403).
 */
import type { ProviderName as Provider } from '../providers/index.ts';
import type { Caller } from './auth.ts';
import type { Config } from './config-schema.ts';

export interface Access {
  routeTag: string;
  allowExternal: boolean;
  /** A sing-box peer: it reads our aggregate headers in sing-box's dialect (ProviderAdapter.forSingBox). */
  isSingBoxCaller?: boolean;
}

export function defaultRoute(config: Config, provider: Provider): string | undefined {
  const section = config[provider];
  if (section === undefined) return undefined;
  return section.route ?? (section.credentials.length === 1 ? section.credentials[0]?.tag : undefined);
}

export function accessFor(config: Config, caller: Caller, provider: Provider): Access | undefined {
  if (config[provider] === undefined) return undefined;
  switch (caller.kind) {
    case 'user': {
      const routeTag = caller.user[provider] ?? defaultRoute(config, provider);
      return routeTag === undefined ? undefined : { routeTag, allowExternal: caller.user.allow_external_usage };
    }
    case 'peer': {
      const section = config[provider];
      const sole = section?.credentials.length === 1 ? section.credentials[0]?.tag : undefined;
      const routeTag = caller.peer.share[provider] ?? sole;
      if (routeTag === undefined) return undefined;
      return { routeTag, allowExternal: caller.peer.allow_external_usage, isSingBoxCaller: caller.peer.protocol === 'sing-box' };
    }
    case 'admin': {
      const routeTag = defaultRoute(config, provider);
      return routeTag === undefined ? undefined : { routeTag, allowExternal: true };
    }
  }
}
