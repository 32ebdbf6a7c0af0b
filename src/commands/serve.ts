import { loadConfigFile, startNode } from '../node/index.ts';
import { resolveConfigPath } from './config-path.ts';
import { untilSignal } from './signals.ts';

export async function runServe(options: { configPath: string | undefined }): Promise<number> {
  const config = loadConfigFile(resolveConfigPath(options.configPath));
  const node = await startNode(config);
  process.stderr.write(`quotamesh node "${node.name}" listening on ${node.url}\n`);
  await untilSignal();
  await node.close();
  return 0;
}
