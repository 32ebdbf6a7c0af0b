/**
 * A request that arrives through a peer's tunnel is that peer's, whatever token it carries
 * (PROTOCOL.md › HTTP over streams), so the admin API refuses it even with the admin token.
 */
import { request } from 'node:http';
import { afterEach, expect, it } from 'vitest';
import { startMesh, TOKENS, tunnelUp, type Mesh } from '../../helpers/mesh-harness.ts';

let mesh: Mesh | undefined;
afterEach(async () => {
  await mesh?.close();
  mesh = undefined;
});

it("the admin API answers 403 to a request through a peer's tunnel, even one carrying the admin token", async () => {
  mesh = await startMesh();
  await tunnelUp(mesh.hub, 'laptop');
  await tunnelUp(mesh.laptop, 'hub');
  // The laptop's way to the hub: a stream of the tunnel the laptop dialed.
  const target = await mesh.laptop.pools.claude!.credential('hub')!.target();
  const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
    const url = new URL('/v1/admin/credentials/claude/hub-a/disable', target.baseUrl);
    const outgoing = request(url, {
      method: 'POST',
      agent: target.agent,
      headers: { ...target.headers, authorization: `Bearer ${TOKENS.admin}` },
    });
    outgoing.on('response', (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
  expect(answer.status).toBe(403);
  expect(JSON.parse(answer.body)).toMatchObject({ error: { type: 'permission_error', message: 'the admin API needs the admin token' } });
  // The same token over plain HTTP is the admin's: the refusal was about the tunnel.
  const direct = await fetch(`${mesh.hub.url}/v1/admin/credentials/claude/hub-a/enable`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TOKENS.admin}` },
  });
  expect(direct.status).toBe(200);
  expect(((await direct.json()) as { changed: boolean }).changed).toBe(false);
});
