/**
 * A config with every secret replaced by a fingerprint, for `GET /v1/admin/config` and
 * `quotamesh check --against` (CONFIG.md › Reloading). A fingerprint is an HMAC-SHA256 of the
 * secret under a salt the node draws at start, cut to 16 hex digits: equal secrets give equal
 * fingerprints, so a changed token still shows as changed, while the answer cannot be matched
 * against fingerprints from another node or another start. Secrets are found by key, wherever
 * they are, so a section added later (`alerts[].secret`) is covered by its key's name.
 */
import { createHmac } from 'node:crypto';

export const SECRET_KEYS: readonly string[] = ['token', 'admin_token', 'secret'];

export function fingerprint(secret: string, salt: string): string {
  return `fingerprint:${createHmac('sha256', salt).update(secret).digest('hex').slice(0, 16)}`;
}

/**
 * Keys that are secret only inside one section: an alert receiver's `url` (a Slack or Discord
 * webhook carries its secret in the URL), while a peer's `url` is an address anyone may see.
 */
const SECTION_SECRET_KEYS: Readonly<Record<string, readonly string[]>> = { alerts: ['url'] };

export function redactConfig(value: unknown, salt: string, secretKeys: readonly string[] = SECRET_KEYS): unknown {
  if (Array.isArray(value)) return value.map((item) => redactConfig(item, salt, secretKeys));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, item]) => [
      key,
      secretKeys.includes(key) && typeof item === 'string'
        ? fingerprint(item, salt)
        : redactConfig(item, salt, [...SECRET_KEYS, ...(SECTION_SECRET_KEYS[key] ?? [])]),
    ]),
  );
}
