import { loadConfigFile, startNode } from '../node/index.ts';
import { UsageError } from './usage-error.ts';
import { resolveConfigPath } from './config-path.ts';
import { untilSignal } from './signals.ts';

export async function runServe(options: { configPath: string | undefined; logFormat: string | undefined }): Promise<number> {
  const config = loadConfigFile(resolveConfigPath(options.configPath));
  const logFormat = options.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (logFormat !== 'pretty' && logFormat !== 'json') throw new UsageError(`--log-format must be pretty or json, got "${logFormat}"`);
  const node = await startNode(config, { logFormat });
  process.stderr.write(`quotamesh node "${node.name}" listening on ${node.url}\n`);
  await untilSignal();
  await node.close();
  return 0;
}
