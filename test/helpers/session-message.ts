/**
 * A Claude Code session's request to a harness node, and which simulated account served it: what
 * the tests of `?session=` and of the statusline compare the node's answer with.
 */
import type { Harness } from './node-harness.ts';

/**
 * POSTs one message carrying `sessionId` in `metadata.user_id`, as Claude Code ≥ 2.1.78 sends it
 * (`headers` adds e.g. its `x-claude-code-session-id`); throws unless the node answers 200.
 */
export async function postSessionMessage(harness: Harness, sessionId: string, headers: Record<string, string> = {}): Promise<void> {
  const response = await fetch(`${harness.node.url}/v1/messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${harness.userToken}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      model: 'claude-sonnet-4-5',
      max_tokens: 16,
      messages: [{ role: 'user', content: 'hi' }],
      metadata: { user_id: JSON.stringify({ device_id: 'd', account_uuid: '', session_id: sessionId }) },
    }),
  });
  const body = await response.text();
  if (response.status !== 200) throw new Error(`session message answered ${response.status}: ${body}`);
}

/** Which simulated account answered the session's last message, read from the simulator. */
export function accountServing(harness: Harness, sessionId: string): string | undefined {
  const request = [...harness.sim.received]
    .reverse()
    .find((entry) => entry.path.startsWith('/v1/messages') && entry.body.includes(sessionId));
  const bearer = String(request?.headers.authorization ?? '').replace(/^Bearer /, '');
  return harness.sim.accounts.find((account) => account.accessToken === bearer)?.id;
}
