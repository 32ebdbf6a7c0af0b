/**
 * A node in its own process, for faults a process can suffer (SIGKILL, SIGTERM). Forked by
 * node-process.ts; takes its config and NodeOptions over IPC, reports its URL, writes JSON log
 * lines to stdout, and on SIGINT/SIGTERM closes the node as `quotamesh serve` does and then
 * lets the process end by itself (exit 0), so a handle left open shows up as a hang.
 */
import { untilSignal } from '../../src/commands/signals.ts';
import { createLogger, parseConfigValue, startNode, type NodeOptions } from '../../src/node/index.ts';

export interface NodeProcessStart {
  config: unknown;
  dir: string;
  options: Omit<NodeOptions, 'logger' | 'clock'>;
}

process.once('message', async (message: NodeProcessStart) => {
  const config = parseConfigValue(message.config, { env: {}, homeDir: message.dir, baseDir: message.dir });
  const node = await startNode(config, { ...message.options, logger: createLogger({ level: 'debug', destination: process.stdout }) });
  process.send?.({ url: node.url, port: node.port });
  await untilSignal();
  await node.close();
  process.disconnect();
});
