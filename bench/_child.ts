/**
 * A bench server in its own process, so the load generator, the node and the simulator do not
 * share one event loop. Started by bench/_harness.ts; reports its URL over IPC.
 */
import { createLogger, parseConfigValue, startNode } from '../src/node/index.ts';
import { claudeCredentialFile, startSimulator } from '../src/sim/index.ts';

type Message = { kind: 'sim'; accounts: number } | { kind: 'node'; config: unknown; dir: string };

process.once('message', async (message: Message) => {
  if (message.kind === 'sim') {
    const sim = await startSimulator({ accounts: message.accounts, chunkDelayMs: 0, tokenLifetimeMs: 24 * 3600 * 1000 });
    // Keep the accounts far from their limits: the bench measures the proxy, not 429 handling.
    const reset = setInterval(() => {
      for (const account of sim.accounts) sim.setUsage(account.id, { fiveHourUtilization: 1, weeklyUtilization: 1 });
    }, 100);
    reset.unref();
    process.send?.({
      url: sim.url,
      tokenUrl: sim.tokenUrl,
      accounts: sim.accounts.map((account) => ({ id: account.id, file: claudeCredentialFile(account) })),
    });
  } else {
    const config = parseConfigValue(message.config, { env: {}, homeDir: message.dir, baseDir: message.dir });
    const node = await startNode(config, { logger: createLogger({ level: 'silent' }) });
    process.send?.({ url: node.url });
  }
});
process.on('disconnect', () => process.exit(0));
