import { randomBytes } from 'node:crypto';

/**
 * JWTs that look real to a client that only decodes them (Codex reads `exp` and the
 * `https://api.openai.com/auth` claim without verifying): `header.payload.signature`, each
 * base64url. The signature is random bytes; nothing in the simulator or its clients checks it.
 */
export function encodeJwt(payload: Record<string, unknown>): string {
  const header = { alg: 'RS256', typ: 'JWT', kid: 'quotamesh-sim' };
  return [
    Buffer.from(JSON.stringify(header)).toString('base64url'),
    Buffer.from(JSON.stringify(payload)).toString('base64url'),
    randomBytes(64).toString('base64url'),
  ].join('.');
}

/** The payload of a `header.payload.signature` token, or undefined when it is not one. */
export function decodeJwtPayload(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (payload === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
