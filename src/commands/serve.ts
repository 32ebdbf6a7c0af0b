import { ConfigWatch, createLogger, loadConfigFile, prettyDestination, startNode, type Logger, type RunningNode } from '../node/index.ts';
import { UsageError } from './usage-error.ts';
import { resolveConfigPath } from './config-path.ts';
import { onHangup, untilSignal } from './signals.ts';

export async function runServe(options: { configPath: string | undefined; logFormat: string | undefined }): Promise<number> {
  const path = resolveConfigPath(options.configPath);
  const config = loadConfigFile(path);
  const logFormat = options.logFormat ?? (process.stdout.isTTY ? 'pretty' : 'json');
  if (logFormat !== 'pretty' && logFormat !== 'json') throw new UsageError(`--log-format must be pretty or json, got "${logFormat}"`);
  const destination = logFormat === 'pretty' ? await prettyDestination() : undefined;
  const logger = createLogger({ level: config.log_level, name: config.name, destination });
  const node = await startNode(config, { logger });
  const stopReloading = reloadOnChange(node, path, logger);
  process.stderr.write(`quotamesh node "${node.name}" listening on ${node.url}\n`);
  await untilSignal();
  stopReloading();
  await node.close();
  return 0;
}

/** SIGHUP and a change of the config file reload it into the running node (CONFIG.md › Reloading). */
export function reloadOnChange(
  node: Pick<RunningNode, 'reload'>,
  path: string,
  logger: Logger,
  options: { watch?: boolean } = {},
): () => void {
  const watch = new ConfigWatch({ path, node, logger, ...options });
  const stopHangup = onHangup(() => void watch.reload('signal'));
  return () => {
    stopHangup();
    watch.close();
  };
}
