/**
 * `GET /oauth/authorize`: the page a person's browser opens to log in (claude.ai and
 * auth.openai.com both serve it at this path; the client id tells them apart here). The
 * simulator plays the person too: the account is already signed in and approves at once, so the
 * answer is the 302 back to `redirect_uri` with `code` and `state`. `sim_account=<id>` picks
 * the account (default: the vendor's first). For Claude's paste-the-code redirect
 * (`…/oauth/code/callback`) the real page then shows `code#state` for the person to copy; a test
 * reads both from this Location header.
 */
import { sendJson, type SimExchange } from './http.ts';
import type { SimulatorState } from './state.ts';
import { CLAUDE_CODE_CLIENT_ID } from './claude/plans.ts';
import { CODEX_CLIENT_ID } from './codex/plans.ts';

/**
 * Redirect URIs each client id is registered for. Claude: the code page (old and new host) and
 * Claude Code's loopback listener; Codex: its loopback listener (the real allow-list has ports
 * 1455 and 1457; any port here, so tests can listen on port 0).
 */
const REDIRECTS: Record<string, RegExp> = {
  [CLAUDE_CODE_CLIENT_ID]:
    /^(https:\/\/(platform\.claude\.com|console\.anthropic\.com)\/oauth\/code\/callback|http:\/\/(localhost|127\.0\.0\.1):\d{1,5}\/callback)$/,
  [CODEX_CLIENT_ID]: /^http:\/\/(localhost|127\.0\.0\.1):\d{1,5}\/auth\/callback$/,
};

export function handleAuthorize(exchange: SimExchange, state: SimulatorState): void {
  const query = exchange.url.searchParams;
  const refuse = (description: string): void => sendJson(exchange.res, 400, { error: 'invalid_request', error_description: description });
  const clientId = query.get('client_id') ?? '';
  const allowed = REDIRECTS[clientId];
  if (allowed === undefined) return sendJson(exchange.res, 401, { error: 'invalid_client', error_description: 'Unknown client_id' });
  const redirectUri = query.get('redirect_uri') ?? '';
  if (!allowed.test(redirectUri)) return refuse('redirect_uri is not registered for this client');
  if (query.get('response_type') !== 'code') return refuse('response_type must be code');
  const codeChallenge = query.get('code_challenge') ?? '';
  if (!/^[A-Za-z0-9_-]{43}$/.test(codeChallenge)) return refuse('code_challenge must be a base64url SHA-256');
  if (query.get('code_challenge_method') !== 'S256') return refuse('code_challenge_method must be S256');
  const oauthState = query.get('state') ?? '';
  if (oauthState === '') return refuse('state is required');
  const scope = query.get('scope') ?? '';
  if (scope === '') return refuse('scope is required');

  const accounts = clientId === CODEX_CLIENT_ID ? state.codex.accounts : state.claude.accounts;
  const wanted = query.get('sim_account');
  const account = wanted === null ? accounts[0] : accounts.find((candidate) => candidate.id === wanted);
  if (account === undefined) return refuse(`no simulated account ${wanted ?? '(none configured)'}`);

  const code = state.authorizationCodes.issue(
    { clientId, redirectUri, codeChallenge, state: oauthState, accountId: account.id, scope },
    state.clock.now(),
  );
  const location = new URL(redirectUri);
  location.searchParams.set('code', code);
  location.searchParams.set('state', oauthState);
  exchange.res.writeHead(302, { location: location.toString(), 'content-length': '0' });
  exchange.res.end();
}
