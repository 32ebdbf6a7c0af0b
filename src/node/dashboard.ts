/**
 * `GET /` (SPEC §3): the status dashboard, one self-contained page. Loading it needs no token:
 * the page holds no data; it asks the person for a token and reads `/v1/status?watch=true`
 * with it, so the status route's own auth decides what it shows. A fresh nonce per response
 * lets the CSP forbid every script and style except the page's own.
 */
import { randomBytes } from 'node:crypto';
import { DASHBOARD_HTML, NONCE_PLACEHOLDER } from './dashboard-html.ts';
import type { FastifyInstance } from './fastify.ts';

export function registerDashboard(app: FastifyInstance): void {
  app.get('/', async (_request, reply) => {
    const nonce = randomBytes(16).toString('base64');
    return reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('cache-control', 'no-store')
      .header('content-security-policy', dashboardCsp(nonce))
      .header('x-content-type-options', 'nosniff')
      .header('referrer-policy', 'no-referrer')
      .send(DASHBOARD_HTML.replaceAll(NONCE_PLACEHOLDER, nonce));
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
