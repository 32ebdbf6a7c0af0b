/**
 * The alert events a node POSTs to its `alerts` receivers (PROTOCOL.md › Alerts): the names, the
 * JSON body, the one-line text chat tools show, and the HMAC signature. Pure.
 */
import { createHmac } from 'node:crypto';

export const ALERT_EVENTS = [
  'credential_rate_limited',
  'credential_recovered',
  'credential_unavailable',
  'peer_down',
  'peer_up',
  'limit_reached',
] as const;
export type AlertEventName = (typeof ALERT_EVENTS)[number];

/** Whom an event is about: exactly one of a credential, a peer or a user. */
export type AlertSubject = { credential: string; provider: string } | { peer: string } | { user: string; provider?: string };

export type AlertEvent = {
  event: AlertEventName;
  /** Epoch ms. */
  timeMs: number;
  /** A sentence for people: why, until when, what it was before. */
  detail: string;
} & AlertSubject;

export const SIGNATURE_HEADER = 'x-quotamesh-signature';

/**
 * The body sent, with `text` (Slack's incoming webhooks) and `content` (Discord's) carrying the
 * same line, so either posts it to a channel unchanged.
 */
export function alertBody(event: AlertEvent, nodeName: string): string {
  const text = alertText(event, nodeName);
  return JSON.stringify({
    event: event.event,
    node: nodeName,
    provider: 'provider' in event ? (event.provider ?? null) : null,
    ...('credential' in event ? { credential: event.credential } : {}),
    ...('peer' in event ? { peer: event.peer } : {}),
    ...('user' in event ? { user: event.user } : {}),
    time: new Date(event.timeMs).toISOString(),
    detail: event.detail,
    text,
    content: text,
  });
}

export function alertText(event: AlertEvent, nodeName: string): string {
  const subject =
    'credential' in event
      ? `${event.provider} credential ${event.credential}`
      : 'peer' in event
        ? `peer ${event.peer}`
        : `${event.user}${event.provider === undefined ? '' : ` (${event.provider})`}`;
  const what: Record<AlertEventName, string> = {
    credential_rate_limited: 'is rate-limited',
    credential_recovered: 'is usable again',
    credential_unavailable: 'is unavailable',
    peer_down: 'is down',
    peer_up: 'is back up',
    limit_reached: 'reached a limit',
  };
  return `quotamesh ${nodeName}: ${subject} ${what[event.event]}${event.detail === '' ? '' : `: ${event.detail}`}`;
}

/** `sha256=<hex HMAC-SHA256 of the raw body>`, keyed with the receiver's secret. */
export function signAlertBody(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}
