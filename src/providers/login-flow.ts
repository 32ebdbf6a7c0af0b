/**
 * Logging in from the tool (README.md › Add an account): the vendors' OAuth authorization-code
 * flow with PKCE, split so the CLI and the node's admin API drive the same steps. `start` makes
 * the verifier, the state and the authorize link; the person logs in in a browser; what comes
 * back (a pasted `code#state`, a pasted callback URL, or the loopback callback) goes to
 * `exchange`, which redeems the code and returns the credential file's new text. Nothing here
 * writes a file or opens a socket but the token request.
 */
import { newOauthState, newPkce } from '../lib/index.ts';
import { postTokenRequest, type TokenRequest, type TokenRequestOptions, type TokenResponseParser } from '../upstream/index.ts';

export interface LoginEndpoints {
  /** The vendor's `/oauth/authorize` page. */
  authorizeUrl: string;
  /** The token endpoint (the provider section's `oauth_url`). */
  tokenUrl: string;
}

/** One login in progress: kept by whoever started it until the code comes back. */
export interface LoginStart {
  authorizeUrl: string;
  state: string;
  codeVerifier: string;
  redirectUri: string;
}

export type LoginResult =
  | {
      kind: 'ok';
      /** Who logged in (an e-mail address), when the vendor said. */
      account: string | undefined;
      /**
       * The credential file's text: the existing file (a JSON object) keeps every other key, as
       * the vendor CLI keeps them; undefined = no file yet. Throws when the existing text is not
       * a JSON object (a wrong `--path` must not be overwritten).
       */
      fileText(existingText: string | undefined, nowMs: number): string;
    }
  | { kind: 'refused'; message: string };

export interface ProviderLogin {
  /** Where the vendor's CLI keeps its file. */
  readonly defaultPath: string;
  readonly defaultEndpoints: LoginEndpoints;
  /**
   * A redirect for a machine without a browser, whose page shows the code to paste (Claude's
   * code page); undefined when the client id is registered for loopback only (Codex).
   */
  readonly pasteRedirectUri: string | undefined;
  /** The vendor CLI's own loopback callback on `port`. */
  loopbackRedirectUri(port: number): string;
  /** The loopback port the vendor CLI listens on by default (its registered redirect). */
  readonly defaultLoopbackPort: number;
  start(endpoints: LoginEndpoints, redirectUri: string): LoginStart;
  exchange(endpoints: LoginEndpoints, start: LoginStart, code: string, options: TokenRequestOptions): Promise<LoginResult>;
}

/** What a person pastes: `code#state` (Claude's code page) or the whole callback URL. */
export type PastedCode = { code: string; state: string } | { error: string };

const MAX_PASTE_CHARS = 8192;

export function parsePastedCode(text: string): PastedCode {
  const input = text.trim();
  if (input === '') return { error: 'nothing was pasted' };
  if (input.length > MAX_PASTE_CHARS) return { error: 'the pasted text is too long to be a code' };
  if (/^https?:\/\//i.test(input)) {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      return { error: 'the pasted URL cannot be read' };
    }
    const error = url.searchParams.get('error');
    if (error !== null)
      return { error: `the login page answered ${printable(error)}: ${printable(url.searchParams.get('error_description') ?? '')}` };
    const code = url.searchParams.get('code');
    const state = url.searchParams.get('state');
    if (code === null || code === '') return { error: 'the pasted URL has no code' };
    if (state === null || state === '') return { error: 'the pasted URL has no state' };
    return { code, state };
  }
  const hash = input.indexOf('#');
  if (hash <= 0 || hash === input.length - 1) return { error: 'paste the whole code as shown, code#state (or the callback URL)' };
  const code = input.slice(0, hash);
  const state = input.slice(hash + 1);
  if (!/^[\x21-\x7e]+$/.test(code) || !/^[\x21-\x7e]+$/.test(state)) return { error: 'the pasted code has spaces or control characters' };
  return { code, state };
}

/**
 * The state coming back must be the one sent: a different one means the code belongs to another
 * login (another tab, an old link, or someone else's link), and redeeming it could log this node
 * into an account that is not the person's.
 */
export function stateMismatch(start: Pick<LoginStart, 'state'>, returnedState: string): string | undefined {
  return returnedState === start.state
    ? undefined
    : 'the state in the pasted code does not match this login (a code from another login or an old link); start again and paste the code this link gives';
}

/** `{error, error_description}` or `{error: {code|type, message}}`: both vendors' shapes, cut and printable. */
export function oauthErrorText(status: number, body: Record<string, unknown> | undefined): string {
  const error = body?.['error'];
  let code: unknown = error;
  let description: unknown = body?.['error_description'];
  if (error !== null && typeof error === 'object') {
    const nested = error as Record<string, unknown>;
    code = nested['code'] ?? nested['type'];
    description = nested['message'];
  }
  const parts = [`token endpoint answered ${status}`];
  if (typeof code === 'string' && code !== '') parts.push(printable(code));
  const text = typeof description === 'string' && description !== '' ? `: ${printable(description)}` : '';
  return `${parts.join(' ')}${text}`;
}

/** A JSON object from the existing file, or a clear refusal to overwrite something else. */
export function existingObject(existingText: string | undefined, what: string): Record<string, unknown> {
  if (existingText === undefined || existingText.trim() === '') return {};
  let value: unknown;
  try {
    value = JSON.parse(existingText);
  } catch {
    throw new Error(`the existing file is not JSON, so it is not ${what}; move it away or choose another --path`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new Error(`the existing file is not a JSON object, so it is not ${what}; move it away or choose another --path`);
  }
  return value as Record<string, unknown>;
}

/** Vendor text shown to a person: no control characters, at most 300 characters. */
export function printable(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return clean.length > 300 ? `${clean.slice(0, 300)}…` : clean;
}

/** `key=value&…` with `%20` for spaces, as both CLIs encode their authorize query. */
export function authorizeLink(base: string, params: ReadonlyArray<readonly [string, string]>): string {
  const query = params.map(([key, value]) => `${key}=${encodeURIComponent(value)}`).join('&');
  return `${base}${base.includes('?') ? '&' : '?'}${query}`;
}

/** A fresh state and PKCE verifier, and the provider's authorize link carrying them. */
export function startLogin(
  authorizeUrl: string,
  redirectUri: string,
  link: (authorizeUrl: string, start: Omit<LoginStart, 'authorizeUrl'>, codeChallenge: string) => string,
): LoginStart {
  const pkce = newPkce();
  const partial = { state: newOauthState(), codeVerifier: pkce.codeVerifier, redirectUri };
  return { ...partial, authorizeUrl: link(authorizeUrl, partial, pkce.codeChallenge) };
}

/** Redeems a code at the token endpoint; an unreachable endpoint is a refusal the person reads. */
export async function redeemCode(
  tokenUrl: string,
  request: TokenRequest,
  parse: TokenResponseParser<LoginResult>,
  options: TokenRequestOptions,
): Promise<LoginResult> {
  const result = await postTokenRequest(tokenUrl, request, parse, options);
  return result.kind === 'failed' ? { kind: 'refused', message: result.message } : result;
}
