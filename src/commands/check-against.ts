/**
 * `quotamesh check --against URL`: what reloading this config into the node at URL would change
 * (CONFIG.md › Reloading). The node's running config comes from `GET /v1/admin/config` (admin
 * token) with secrets as salted fingerprints; this config is fingerprinted with the same salt and
 * the two are compared by the diff the node itself applies, so the lines printed are the ones
 * the node would log.
 */
import {
  ADMIN_CONFIG_PATH,
  describeChange,
  diffConfig,
  isEmptyChange,
  redactConfig,
  type AdminConfigAnswer,
  type Config,
} from '../node/index.ts';

export interface CheckAgainstOptions {
  url: string;
  token: string | undefined;
  config: Config;
  configPath: string;
}

export async function checkAgainst(
  options: CheckAgainstOptions,
  print: (line: string) => void,
  fetchImpl: typeof fetch = fetch,
): Promise<void> {
  if (options.token === undefined) throw new Error('no token: pass --token with the admin token or set QUOTAMESH_TOKEN');
  const url = `${options.url.replace(/\/+$/, '')}${ADMIN_CONFIG_PATH}`;
  const response = await fetchImpl(url, { headers: { authorization: `Bearer ${options.token}` }, signal: AbortSignal.timeout(10_000) });
  if (response.status !== 200) {
    const why = response.status === 401 || response.status === 403 ? ' (it needs the admin token)' : '';
    throw new Error(`${url} answered ${response.status}${why}`);
  }
  const answer = parseAnswer(await response.json());
  if (answer === undefined) throw new Error(`${url} did not answer a config`);
  // Through JSON, as the node's side was: keys set to undefined vanish on both.
  const local = JSON.parse(JSON.stringify(redactConfig(options.config, answer.fingerprint_salt))) as Config;
  const change = diffConfig(answer.config as Config, local);
  if (isEmptyChange(change)) {
    print(`${options.configPath}: a reload of node "${answer.node}" would change nothing`);
    return;
  }
  print(`${options.configPath}: a reload of node "${answer.node}" would change:`);
  for (const line of describeChange(change)) print(`  ${line}`);
}

function parseAnswer(value: unknown): AdminConfigAnswer | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { node, fingerprint_salt: salt, config } = value as Record<string, unknown>;
  if (typeof node !== 'string' || typeof salt !== 'string' || config === null || typeof config !== 'object') return undefined;
  return { node, fingerprint_salt: salt, config };
}
