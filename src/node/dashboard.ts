/**
 * `GET /` (PROTOCOL.md › HTTP surface): the status dashboard, one self-contained page (inline CSS
 * and script, no CDN, no build step). Loading it needs no token: the page holds no data; it asks
 * the person for a token and reads `/v1/status?watch=true` with it, so the status route's own auth
 * decides what it shows. A fresh nonce per response lets the CSP refuse every script and style but
 * the page's own.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { PROVIDERS } from '../providers/index.ts';
import type { FastifyInstance } from './fastify.ts';

const NONCE_PLACEHOLDER = '__NONCE__';

/** The page with its stylesheet and script inlined; read once, when the node starts. */
export function dashboardPage(): string {
  const read = (name: string): string => readFileSync(new URL(`./dashboard/${name}`, import.meta.url), 'utf8');
  // The provider names people read, from the registry; the status stream only carries keys.
  const labels = JSON.stringify(Object.fromEntries(PROVIDERS.map((provider) => [provider.name, provider.label])));
  const script = read('page.js').split('/*__PROVIDER_LABELS__*/ {}').join(labels);
  // split/join rather than replace(): the script's text must not be read as a replacement pattern.
  return read('page.html')
    .split('/*__CSS__*/')
    .join(read('page.css'))
    .split('/*__CHART_CSS__*/')
    .join(read('page-chart.css'))
    .split('/*__SCRIPT__*/')
    .join(script)
    .split('/*__CHART_SCRIPT__*/')
    .join(read('page-chart.js'));
}

export function registerDashboard(app: FastifyInstance): void {
  const page = dashboardPage();
  app.get('/', async (_request, reply) => {
    const nonce = randomBytes(16).toString('base64');
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', dashboardCsp(nonce))
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(page.split(NONCE_PLACEHOLDER).join(nonce));
  });
}

export function dashboardCsp(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'nonce-${nonce}'`,
    `style-src 'nonce-${nonce}'`,
    "connect-src 'self'",
    "img-src 'self' data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}
