/**
 * Reloading a running node's config (CONFIG.md › Reloading), against a node in its own process
 * that reads a config file as `quotamesh serve` does.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCheck } from '../../../src/commands/check.ts';
import { logLines } from '../../helpers/node-process.ts';
import { waitFor } from '../../helpers/wait-for.ts';
import { startReloadSetup, statusCode, TOKENS, type ReloadSetup } from './reload-fixture.ts';

describe('config reload', () => {
  let setup: ReloadSetup | undefined;
  afterEach(async () => {
    await setup?.close();
    setup = undefined;
  });

  it('adds and removes a user on SIGHUP', async () => {
    setup = await startReloadSetup({ watch: false });
    const { node } = setup;
    expect(await statusCode(node, TOKENS.carol)).toBe(401);

    const withCarol = setup.initial();
    withCarol.users.push({ name: 'carol', token: TOKENS.carol });
    await setup.writeConfig(withCarol);
    expect(await setup.hangup()).toMatchObject({ msg: 'config reloaded', changes: ['+ users.carol'] });
    expect(await statusCode(node, TOKENS.carol)).toBe(200);
    const served = await setup.post(TOKENS.carol);
    expect(served.status).toBe(200);
    await served.arrayBuffer();

    await setup.writeConfig(setup.initial());
    expect(await setup.hangup()).toMatchObject({ msg: 'config reloaded', changes: ['- users.carol'] });
    expect(await statusCode(node, TOKENS.carol)).toBe(401);
    expect(await statusCode(node, TOKENS.alice)).toBe(200);
  });

  it('adds and removes a user when the file changes', async () => {
    setup = await startReloadSetup();
    const { node } = setup;
    const withCarol = setup.initial();
    withCarol.users.push({ name: 'carol', token: TOKENS.carol });
    await setup.writeConfig(withCarol);
    await waitFor(async () => (await statusCode(node, TOKENS.carol)) === 200, 'the file change to add carol');
    await setup.writeConfig(setup.initial());
    await waitFor(async () => (await statusCode(node, TOKENS.carol)) === 401, 'the file change to remove carol');
    const reloads = logLines(node.logs, 'config reloaded');
    expect(reloads.map((line) => [line.trigger, line.changes])).toEqual([
      ['file', ['+ users.carol']],
      ['file', ['- users.carol']],
    ]);
  });

  it('adds a credential, and a user routed to it is served by it', async () => {
    setup = await startReloadSetup({ watch: false });
    const withB = setup.initial();
    withB.claude.credentials.push({ tag: 'b', type: 'default', path: setup.credentialPath('b') });
    withB.claude.route = 'a';
    withB.users.push({ name: 'carol', token: TOKENS.carol, claude: 'b' });
    await setup.writeConfig(withB);
    expect(await setup.hangup()).toMatchObject({
      msg: 'config reloaded',
      changes: ['+ users.carol', '~ claude (route)', '+ claude.credentials.b'],
    });
    const before = setup.sim.account('b').counters.messages;
    const response = await setup.post(TOKENS.carol);
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    expect(setup.sim.account('b').counters.messages).toBe(before + 1);
  });

  it('refuses a bad file with its JSON paths, logged once, and keeps running the old config', async () => {
    setup = await startReloadSetup();
    const { node } = setup;
    const bad = setup.initial();
    bad.users.push({ name: 'carol', token: 'short' });
    bad.claude.credentials[0] = { ...bad.claude.credentials[0], strategy: 'least-used' };
    await setup.writeConfig(bad);
    const refusal = await waitFor(
      () => logLines(node.logs, 'config reload refused; the running config stays')[0],
      'the node to refuse the bad file',
    );
    expect(refusal.problems).toEqual(['users[1].token: a token is at least 16 characters', 'claude.credentials[0].strategy: unknown key']);
    expect(await statusCode(node, TOKENS.alice)).toBe(200);
    expect(await statusCode(node, 'short')).toBe(401);

    // The same bad bytes written again are not news; a good file then applies.
    await setup.writeConfig(bad);
    const good = setup.initial();
    good.users.push({ name: 'carol', token: TOKENS.carol });
    await setup.writeConfig(good);
    await waitFor(async () => (await statusCode(node, TOKENS.carol)) === 200, 'the good file to apply');
    expect(logLines(node.logs, 'config reload refused; the running config stays')).toHaveLength(1);
  });

  it('keeps an untouched credential’s cooldown and sticky sessions across a reload', async () => {
    setup = await startReloadSetup({ watch: false });
    const { sim, node } = setup;
    const session = JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
      metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: '', session_id: 'reload-session' }) },
    });
    const twoAccounts = setup.initial();
    twoAccounts.claude.credentials.push(
      { tag: 'b', type: 'default', path: setup.credentialPath('b') },
      { tag: 'pool', type: 'balancer', credentials: ['a', 'b'] },
    );
    twoAccounts.claude.route = 'pool';
    await setup.writeConfig(twoAccounts);
    await setup.hangup();
    const first = await setup.post(TOKENS.alice, session);
    expect(first.status).toBe(200);
    await first.arrayBuffer();
    const assigned = logLines(node.logs, 'session assigned').filter((line) => line.session === 'reload-session');
    expect(assigned).toHaveLength(1);
    const bound = String(assigned[0]?.credential);
    const other = bound === 'a' ? 'b' : 'a';
    // The other account is exhausted: its 429 puts it in a cooldown the node remembers.
    sim.setUsage(other, { fiveHourUtilization: 100, weeklyUtilization: 100 });
    sim.script({ endpoint: 'usage', fault: { type: 'server_error' }, times: 1000 });
    const limitedTwoAccounts = structuredClone(twoAccounts);
    limitedTwoAccounts.claude.route = other;
    await setup.writeConfig(limitedTwoAccounts);
    await setup.hangup();
    const limited = await setup.post(TOKENS.alice);
    expect(limited.status).toBe(429);
    await limited.arrayBuffer();

    // A reload that touches neither credential (a user added, the route back to the pool).
    const withCarol = structuredClone(twoAccounts);
    withCarol.users.push({ name: 'carol', token: TOKENS.carol });
    await setup.writeConfig(withCarol);
    expect(await setup.hangup()).toMatchObject({ changes: ['+ users.carol', '~ claude (route)'] });

    const messagesBefore = sim.account(other).counters.messages;
    const again = await setup.post(TOKENS.alice, session);
    expect(again.status).toBe(200);
    await again.arrayBuffer();
    // Still bound (no second assignment), and the exhausted account was not asked.
    expect(logLines(node.logs, 'session assigned').filter((line) => line.session === 'reload-session')).toHaveLength(1);
    expect(logLines(node.logs, 'session moved: its credential is unusable or failed this request')).toEqual([]);
    expect(sim.account(other).counters.messages).toBe(messagesBefore);
    const routedToOther = structuredClone(withCarol);
    routedToOther.claude.route = other;
    await setup.writeConfig(routedToOther);
    await setup.hangup();
    const stillLimited = await setup.post(TOKENS.alice);
    expect(stillLimited.status).toBe(429);
    await stillLimited.arrayBuffer();
    expect(sim.account(other).counters.messages).toBe(messagesBefore);
  });

  it('says a changed listen address needs a restart, and keeps listening where it was', async () => {
    setup = await startReloadSetup({ watch: false });
    const moved = setup.initial();
    moved.listen = '127.0.0.1:1';
    await setup.writeConfig(moved);
    expect(await setup.hangup()).toMatchObject({ msg: 'config reloaded', changes: ['! listen (needs a restart)'] });
    expect(logLines(setup.node.logs, 'config change needs a restart to take effect; running with the old values')).toMatchObject([
      { keys: ['listen'] },
    ]);
    expect(await statusCode(setup.node, TOKENS.alice)).toBe(200);
  });

  it('check --against prints what a reload would change, tokens compared by fingerprint', async () => {
    setup = await startReloadSetup({ watch: false });
    const next = setup.initial();
    next.users[0] = { ...next.users[0], token: 'another-alice-token-0123456789' };
    next.users.push({ name: 'carol', token: TOKENS.carol });
    next.listen = '127.0.0.1:1';
    const otherPath = `${setup.dir}/next.json`;
    await setup.writeConfig(next, otherPath);
    const lines: string[] = [];
    const code = await runCheck({ configPath: otherPath, against: setup.node.url, token: TOKENS.admin }, (line) => lines.push(line), {});
    expect(code).toBe(0);
    expect(lines).toEqual([
      `${otherPath}: ok`,
      `${otherPath}: a reload of node "reloading" would change:`,
      '  + users.carol',
      '  ~ users.alice (token)',
      '  ! listen (needs a restart)',
    ]);

    const same: string[] = [];
    await runCheck({ configPath: setup.configPath, against: setup.node.url, token: TOKENS.admin }, (line) => same.push(line), {});
    expect(same).toEqual([`${setup.configPath}: ok`, `${setup.configPath}: a reload of node "reloading" would change nothing`]);

    // The running config is the admin's to read, secrets as fingerprints only.
    const asUser = await fetch(`${setup.node.url}/v1/admin/config`, { headers: { authorization: `Bearer ${TOKENS.alice}` } });
    expect(asUser.status).toBe(403);
    const asAdmin = await fetch(`${setup.node.url}/v1/admin/config`, { headers: { authorization: `Bearer ${TOKENS.admin}` } });
    const text = await asAdmin.text();
    expect(text).not.toContain(TOKENS.alice);
    expect(text).not.toContain(TOKENS.admin);
    expect(JSON.parse(text)).toMatchObject({
      node: 'reloading',
      config: { users: [{ name: 'alice', token: expect.stringMatching(/^fingerprint:[0-9a-f]{16}$/) }] },
    });
  });
});
