/**
 * How a node makes Codex credentials (the Codex half of build-pools.ts): a default credential is
 * a Codex `auth.json`; a peer's aggregate arrives as `x-codex-*` headers with window minutes.
 */
import { CodexDefaultCredential } from '../pool/index.ts';
import { DEFAULT_CODEX_USAGE_URL, parseCodexHeaders } from '../upstream/index.ts';
import { capOf, type ProviderKit } from './build-pools.ts';

export const codexKit: ProviderKit = {
  createDefault: (credential, section, deps) =>
    new CodexDefaultCredential({
      tag: credential.tag,
      path: credential.path,
      apiUrl: section.api_url,
      // ProviderConfig is the union of both sections; only the codex one has usage_url.
      usageUrl: 'usage_url' in section ? section.usage_url : DEFAULT_CODEX_USAGE_URL,
      oauthUrl: section.oauth_url,
      cap5h: capOf(credential.limit_5h, credential.reserve_5h),
      capWeekly: capOf(credential.limit_weekly, credential.reserve_weekly),
      clock: deps.clock,
      logger: deps.logger.child({ component: 'credential', provider: 'codex', credential: credential.tag }),
    }),
  parsePeerHeaders: (headers, nowSeconds) => parseCodexHeaders(headers, nowSeconds),
};
