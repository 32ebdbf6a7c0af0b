/**
 * The provider registry. Every list of providers (config sections, status paths, proxy routes,
 * metrics, the dashboard) derives from PROVIDERS; adding a provider is a folder beside claude/
 * and codex/ plus one entry here.
 */
import { claudeProvider } from './claude/index.ts';
import { codexProvider } from './codex/index.ts';
import type { AnyProviderModule } from './provider-module.ts';

export const PROVIDERS = [claudeProvider, codexProvider] as const satisfies readonly AnyProviderModule[];

export type ProviderName = (typeof PROVIDERS)[number]['name'];
export const PROVIDER_NAMES: readonly ProviderName[] = PROVIDERS.map((provider) => provider.name);

export function providerNamed(name: string): AnyProviderModule | undefined {
  return PROVIDERS.find((provider) => provider.name === name);
}

/**
 * Whose error shape (and whose routes) a request path is: the provider with the longest matching
 * path prefix (`/v1/responses…` and `/ocm/` are Codex's, `/v1/…` and `/ccm/` Claude's). Only
 * the path counts, never the query: `/v1/status?provider=codex` is a Claude-shaped path asking
 * about Codex. Paths no provider owns (`/`, `/healthz`, `/metrics`) answer in the first
 * registered provider's shape: that is the shape a client of the bare node URL expects.
 */
export function providerFor(url: string): AnyProviderModule {
  const path = url.split('?')[0] ?? '';
  let best: AnyProviderModule = PROVIDERS[0];
  let bestLength = -1;
  for (const provider of PROVIDERS) {
    for (const prefix of provider.routes.prefixes) {
      if (path.startsWith(prefix) && prefix.length > bestLength) {
        best = provider;
        bestLength = prefix.length;
      }
    }
  }
  return best;
}

export { claudeProvider, codexProvider };
export {
  httpUrl,
  type AnyProviderModule,
  type ConfigFields,
  type DefaultCredentialSpec,
  type ProviderEndpoint,
  type ProviderModule,
  type ProviderRoutes,
  type RequestInfo,
  type SectionOf,
  type StartableCredential,
  type WebSocketWire,
} from './provider-module.ts';
export * from './claude/index.ts';
export * from './codex/index.ts';
export {
  existingObject,
  parsePastedCode,
  stateMismatch,
  type LoginEndpoints,
  type LoginResult,
  type LoginStart,
  type PastedCode,
  type ProviderLogin,
} from './login-flow.ts';
