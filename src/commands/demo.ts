/**
 * `quotamesh demo` (and `npm start`): the simulated upstream, a public hub and a laptop that
 * links to it through the reverse tunnel, so a newcomer can point Claude Code at a real mesh
 * without a subscription.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { untilSignal } from './signals.ts';

export interface DemoOptions {
  port?: number;
  print?: (line: string) => void;
  /** Stops the demo like Ctrl-C (tests). */
  signal?: AbortSignal;
}

export async function runDemo(options: DemoOptions): Promise<number> {
  const print = options.print ?? ((line: string) => process.stdout.write(`${line}\n`));
  const directory = await mkdtemp(join(tmpdir(), 'quotamesh-demo-'));
  try {
    // The demo mesh brings the simulator; loaded here so no other command carries it.
    const { startDemoMesh } = await import('./demo-mesh.ts');
    const mesh = await startDemoMesh({ directory, hubPort: options.port });
    const { hub, userToken, adminToken } = mesh;
    const stopWatching = hub.onTunnel((peer, isUp) =>
      print(isUp ? `● ${peer} linked to the hub through the tunnel` : `○ ${peer} dropped its tunnel; it will redial`),
    );
    print(`quotamesh demo: simulated Anthropic at ${mesh.sim.url}`);
    print(`  hub    ${hub.url}   (public node; your user token is below)`);
    print(`  laptop ${mesh.laptop.url}   (dials the hub, shares its two accounts)`);
    print('');
    print('Point Claude Code at the hub:');
    print(`  export ANTHROPIC_BASE_URL=${hub.url}`);
    print(`  export ANTHROPIC_AUTH_TOKEN=${userToken}`);
    print('  claude');
    print(`  (pool in its status line: "statusLine": {"type": "command", "command": "${statuslineCommand()}"} in ~/.claude/settings.json)`);
    print('');
    print('Point Codex CLI at the hub (a model provider in ~/.codex/config.toml, or inline):');
    print(`  export QUOTAMESH_TOKEN=${userToken}`);
    print(
      `  codex -c model_provider=quotamesh -c 'model_providers.quotamesh={name="quotamesh",base_url="${hub.url}/v1",wire_api="responses",env_key="QUOTAMESH_TOKEN"}'`,
    );
    print('');
    print(`Pool status:   npx quotamesh status --url ${hub.url} --token ${adminToken}`);
    print(`Dashboard:     ${hub.url}/  (admin token above)`);
    print('Press Ctrl-C to stop.');
    if (hub.isTunnelUp('laptop')) print('● laptop linked to the hub through the tunnel');
    await untilSignal(options.signal);
    stopWatching();
    await mesh.close();
    return 0;
  } finally {
    await rm(directory, { recursive: true, force: true });
  }
}

/**
 * The command line that runs this same install's status line, wherever it was started from. The
 * nearest bin/quotamesh.js above this module: two levels up in src/commands/, one in the bundled
 * dist/ (scripts/build.ts).
 */
function statuslineCommand(): string {
  let directory = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(directory, 'bin', 'quotamesh.js')) && dirname(directory) !== directory) directory = dirname(directory);
  return `node ${join(directory, 'bin', 'quotamesh.js')} statusline`;
}
