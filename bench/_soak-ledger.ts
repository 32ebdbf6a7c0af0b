/**
 * Follows every soak request to its ledger lines (the request id rides in the model name):
 * a request the hub answered has one hub line, unless the hub was SIGKILLed while serving it
 * (a line is written when a request is over); a hub line naming the laptop's capacity
 * has one laptop line, since the laptop is never killed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { MODEL_ID, type SentRequest } from './_soak-traffic.ts';

interface LedgerLine {
  model: string | null;
  credential: string | null;
  status: number;
  peer: string | null;
}

export interface Ledger {
  byId: Map<number, LedgerLine[]>;
  lines: number;
  /** Lines that are not JSON (a torn write). */
  torn: number;
  /** Lines whose model names no request the soak sent. */
  unknown: number;
}

export function readLedger(path: string, sentCount: number): Ledger {
  const ledger: Ledger = { byId: new Map(), lines: 0, torn: 0, unknown: 0 };
  if (!existsSync(path)) return ledger;
  for (const text of readFileSync(path, 'utf8').split('\n')) {
    if (text === '') continue;
    ledger.lines += 1;
    let line: LedgerLine;
    try {
      line = JSON.parse(text) as LedgerLine;
    } catch {
      ledger.torn += 1;
      continue;
    }
    const id = Number(MODEL_ID.exec(line.model ?? '')?.[1] ?? NaN);
    if (!Number.isInteger(id) || id >= sentCount) {
      ledger.unknown += 1;
      continue;
    }
    const lines = ledger.byId.get(id) ?? [];
    lines.push(line);
    ledger.byId.set(id, lines);
  }
  return ledger;
}

export interface Reconciliation {
  hub: Ledger;
  laptop: Ledger;
  /** Requests whose response head reached the client. */
  answered: number;
  /** Answered by the hub, not in flight at a SIGKILL, and still without a hub line. */
  lostAtHub: number[];
  /** In flight when the hub was SIGKILLed and without a hub line: lost by design, with the process. */
  lostInCrash: number;
  /** Hub lines served from the laptop's capacity (through the tunnel). */
  throughTunnel: number;
  /** Of those, without a laptop line. */
  lostAtLaptop: number[];
  /** Laptop lines whose hub line names another credential or does not exist (hub failed over, or crashed). */
  laptopOnly: number;
  duplicates: { hub: number; laptop: number };
}

const TUNNEL_CREDENTIALS = new Set(['laptop', 'laptop-codex']);

export function reconcile(
  requests: readonly SentRequest[],
  crashed: ReadonlySet<number>,
  hubPath: string,
  laptopPath: string,
): Reconciliation {
  const hub = readLedger(hubPath, requests.length);
  const laptop = readLedger(laptopPath, requests.length);
  const result: Reconciliation = {
    hub,
    laptop,
    answered: 0,
    lostAtHub: [],
    lostInCrash: 0,
    throughTunnel: 0,
    lostAtLaptop: [],
    laptopOnly: 0,
    duplicates: { hub: 0, laptop: 0 },
  };
  for (const sent of requests) {
    const hubLines = hub.byId.get(sent.id) ?? [];
    const laptopLines = laptop.byId.get(sent.id) ?? [];
    if (hubLines.length > 1) result.duplicates.hub += 1;
    if (laptopLines.length > 1) result.duplicates.laptop += 1;
    if (sent.status !== undefined) result.answered += 1;
    if (hubLines.length === 0) {
      if (crashed.has(sent.id)) result.lostInCrash += 1;
      else if (sent.status !== undefined) result.lostAtHub.push(sent.id);
    }
    const viaTunnel = hubLines.some((line) => TUNNEL_CREDENTIALS.has(line.credential ?? ''));
    if (viaTunnel) {
      result.throughTunnel += 1;
      if (laptopLines.length === 0) result.lostAtLaptop.push(sent.id);
    } else if (laptopLines.length > 0) {
      result.laptopOnly += 1;
    }
  }
  return result;
}
