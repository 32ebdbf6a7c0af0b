/**
 * A node in its own process, for faults a process can suffer (SIGKILL, SIGTERM). Forked by
 * node-process.ts; takes its config and NodeOptions over IPC, reports its URL, writes JSON log
 * lines to stdout, and on SIGINT/SIGTERM closes the node as `quotamesh serve` does and then
 * lets the process end by itself (exit 0), so a handle left open shows up as a hang.
 */
import { reloadOnChange } from '../../src/commands/serve.ts';
import { untilSignal } from '../../src/commands/signals.ts';
import { createLogger, loadConfigFile, parseConfigValue, startNode, type NodeOptions } from '../../src/node/index.ts';

export interface NodeProcessStart {
  /** The config itself, or (with `configFile`) ignored. */
  config: unknown;
  /** Read the config from this file, and reload it on SIGHUP and on change, as `quotamesh serve` does. */
  configFile?: string;
  /** With `configFile`: false reloads on SIGHUP only, not on file changes. */
  watchConfigFile?: boolean;
  dir: string;
  options: Omit<NodeOptions, 'logger' | 'clock'>;
}

process.once('message', async (message: NodeProcessStart) => {
  const config =
    message.configFile === undefined
      ? parseConfigValue(message.config, { env: {}, homeDir: message.dir, baseDir: message.dir })
      : loadConfigFile(message.configFile, {});
  const logger = createLogger({ level: 'debug', destination: process.stdout });
  const node = await startNode(config, { ...message.options, logger });
  const stopReloading =
    message.configFile === undefined ? () => {} : reloadOnChange(node, message.configFile, logger, { watch: message.watchConfigFile });
  process.send?.({ url: node.url, port: node.port });
  await untilSignal();
  stopReloading();
  await node.close();
  process.disconnect();
});
