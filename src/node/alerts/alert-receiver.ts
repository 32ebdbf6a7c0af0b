/**
 * One `alerts[]` entry: which events it wants, how long a peer's tunnel may be down before it
 * hears `peer_down` (a tunnel that redials within the grace is not trouble), and its sender.
 * `peer_up` follows only a `peer_down` it was told about, so the two always come in pairs.
 */
import type { Clock } from '../../lib/index.ts';
import { alertBody, type AlertEvent, type AlertEventName } from './alert-event.ts';
import type { AlertSender } from './alert-sender.ts';

export class AlertReceiver {
  readonly #events: ReadonlySet<AlertEventName>;
  readonly #peerDownGraceMs: number;
  readonly #sender: Pick<AlertSender, 'enqueue' | 'close'>;
  readonly #clock: Clock;
  readonly #nodeName: string;
  /** Peers whose tunnel is down and whose grace is running. */
  readonly #graceTimers = new Map<string, NodeJS.Timeout>();
  /** Peer → epoch ms it went down, for peers this receiver was told are down. */
  readonly #reportedDown = new Map<string, number>();

  constructor(deps: {
    events: readonly AlertEventName[];
    peerDownGraceMs: number;
    sender: Pick<AlertSender, 'enqueue' | 'close'>;
    clock: Clock;
    nodeName: string;
  }) {
    this.#events = new Set(deps.events);
    this.#peerDownGraceMs = deps.peerDownGraceMs;
    this.#sender = deps.sender;
    this.#clock = deps.clock;
    this.#nodeName = deps.nodeName;
  }

  send(event: AlertEvent): void {
    if (this.#events.has(event.event)) this.#sender.enqueue(event.event, alertBody(event, this.#nodeName));
  }

  tunnel(peer: string, isUp: boolean): void {
    if (!this.#events.has('peer_down') && !this.#events.has('peer_up')) return;
    const nowMs = this.#clock.now();
    if (!isUp) {
      if (this.#graceTimers.has(peer) || this.#reportedDown.has(peer)) return;
      const timer = setTimeout(() => {
        this.#graceTimers.delete(peer);
        this.#reportedDown.set(peer, nowMs);
        const seconds = Math.round((this.#clock.now() - nowMs) / 1000);
        this.send({
          event: 'peer_down',
          peer,
          timeMs: this.#clock.now(),
          detail: `tunnel down since ${new Date(nowMs).toISOString()} (${seconds} s)`,
        });
      }, this.#peerDownGraceMs);
      timer.unref();
      this.#graceTimers.set(peer, timer);
      return;
    }
    clearTimeout(this.#graceTimers.get(peer));
    this.#graceTimers.delete(peer);
    const downSinceMs = this.#reportedDown.get(peer);
    if (downSinceMs === undefined) return;
    this.#reportedDown.delete(peer);
    this.send({ event: 'peer_up', peer, timeMs: nowMs, detail: `tunnel up again after ${Math.round((nowMs - downSinceMs) / 1000)} s` });
  }

  close(): void {
    for (const timer of this.#graceTimers.values()) clearTimeout(timer);
    this.#graceTimers.clear();
    this.#sender.close();
  }
}
