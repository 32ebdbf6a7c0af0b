/**
 * `quotamesh demo` (and `npm start`): the simulated upstream plus a node on loopback, so a
 * newcomer can point Claude Code at something real without a subscription.
 */
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfigValue, startNode } from '../node/index.ts';
import { claudeCredentialFile, startSimulator, type Simulator } from '../sim/index.ts';
import { untilSignal } from './signals.ts';
import { newToken } from './token.ts';

export interface DemoOptions {
  port?: number;
  print?: (line: string) => void;
  /** Stops the demo like Ctrl-C (tests). */
  signal?: AbortSignal;
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const directory = await mkdtemp(join(tmpdir(), 'quotamesh-demo-'));
  const simulator = await startSimulator({
    accounts: [
      { id: 'max20x', plan: 'max20x', fiveHourUtilization: 12, weeklyUtilization: 35 },
      { id: 'max5x', plan: 'max5x', fiveHourUtilization: 40, weeklyUtilization: 20 },
    ],
  });
  try {
    const userToken = newToken();
    const paths = await writeCredentialFiles(simulator, directory);
    const config = parseConfigValue(
      {
        name: 'demo',
        listen: `127.0.0.1:${options.port ?? 8787}`,
        state_dir: join(directory, 'state'),
        log_level: 'warn',
        users: [{ name: 'you', token: userToken }],
        claude: {
          route: 'pool',
          api_url: simulator.url,
          oauth_url: simulator.tokenUrl,
          credentials: [
            ...paths.map(({ id, path }) => ({ tag: id, type: 'default', path })),
            { tag: 'pool', type: 'balancer', credentials: paths.map(({ id }) => id) },
          ],
        },
      },
      { env: {}, homeDir: directory, baseDir: directory },
    );
    const node = await startNode(config);
    print(`quotamesh demo: simulated Anthropic at ${simulator.url}, node at ${node.url}`);
    print('');
    print('Point Claude Code at the node:');
    print(`  export ANTHROPIC_BASE_URL=${node.url}`);
    print(`  export ANTHROPIC_AUTH_TOKEN=${userToken}`);
    print('  claude');
    print('');
    print(`Pool status:  curl -s -H "authorization: Bearer ${userToken}" ${node.url}/v1/status`);
    print('Press Ctrl-C to stop.');
    await untilSignal(options.signal);
    await node.close();
    return 0;
  } finally {
    await simulator.close();
    await rm(directory, { recursive: true, force: true });
  }
}

async function writeCredentialFiles(simulator: Simulator, directory: string): Promise<Array<{ id: string; path: string }>> {
  const paths: Array<{ id: string; path: string }> = [];
  for (const account of simulator.accounts) {
    const accountDirectory = join(directory, account.id);
    await mkdir(accountDirectory, { recursive: true, mode: 0o700 });
    const path = join(accountDirectory, '.credentials.json');
    await writeFile(path, `${JSON.stringify(claudeCredentialFile(account), null, 2)}\n`, { mode: 0o600 });
    paths.push({ id: account.id, path });
  }
  return paths;
}
