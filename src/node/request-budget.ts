/**
 * How much request-body memory and how many requests the node holds at once, node-wide and per
 * caller (config `request_budget`). A body is buffered whole (it is forwarded byte for byte and
 * kept for failover), so without a bound one user with 40 connections of 31 MiB bodies pinned
 * 1.25 GB. A request takes a slot and its declared `content-length` before its body is read; a
 * chunked body takes bytes as they arrive. Everything is released when the response is over.
 */

export interface BudgetLimits {
  bodyBytes: number;
  perCallerBodyBytes: number;
  concurrent: number;
  perCallerConcurrent: number;
}

/** Who ran out: the caller's own share (answered 429) or the node's (answered 503). */
export type BudgetRefusal = 'caller' | 'node';

interface Usage {
  bytes: number;
  requests: number;
}

export class RequestBudget {
  readonly #limits: BudgetLimits;
  readonly #node: Usage = { bytes: 0, requests: 0 };
  readonly #callers = new Map<string, Usage>();

  constructor(limits: BudgetLimits) {
    this.#limits = limits;
  }

  /** A slot and `bytes` of body for `caller`, or which budget refused (nothing is taken then). */
  reserve(caller: string, bytes: number): BudgetReservation | BudgetRefusal {
    const usage = this.#callers.get(caller) ?? { bytes: 0, requests: 0 };
    if (usage.requests + 1 > this.#limits.perCallerConcurrent || usage.bytes + bytes > this.#limits.perCallerBodyBytes) return 'caller';
    if (this.#node.requests + 1 > this.#limits.concurrent || this.#node.bytes + bytes > this.#limits.bodyBytes) return 'node';
    usage.requests += 1;
    this.#node.requests += 1;
    this.#callers.set(caller, usage);
    const reservation = new BudgetReservation(this, caller);
    this.#take(caller, bytes);
    reservation.bytes = bytes;
    return reservation;
  }

  /** More body bytes for a reservation (a chunked body growing); false, and nothing taken, when over. */
  grow(reservation: BudgetReservation, bytes: number): BudgetRefusal | undefined {
    const usage = this.#callers.get(reservation.caller);
    if (usage === undefined) return 'caller';
    if (usage.bytes + bytes > this.#limits.perCallerBodyBytes) return 'caller';
    if (this.#node.bytes + bytes > this.#limits.bodyBytes) return 'node';
    this.#take(reservation.caller, bytes);
    reservation.bytes += bytes;
    return undefined;
  }

  release(reservation: BudgetReservation): void {
    const usage = this.#callers.get(reservation.caller);
    if (usage === undefined) return;
    usage.bytes -= reservation.bytes;
    usage.requests -= 1;
    this.#node.bytes -= reservation.bytes;
    this.#node.requests -= 1;
    // Callers with nothing in flight are forgotten: the map holds only callers with requests.
    if (usage.requests === 0) this.#callers.delete(reservation.caller);
  }

  /** What is held now (for tests and metrics). */
  held(caller?: string): Usage {
    const usage = caller === undefined ? this.#node : this.#callers.get(caller);
    return { bytes: usage?.bytes ?? 0, requests: usage?.requests ?? 0 };
  }

  #take(caller: string, bytes: number): void {
    const usage = this.#callers.get(caller);
    if (usage !== undefined) usage.bytes += bytes;
    this.#node.bytes += bytes;
  }
}

/** One request's share of the budget; release() is idempotent. */
export class BudgetReservation {
  bytes = 0;
  #released = false;
  readonly #budget: RequestBudget;
  readonly caller: string;

  constructor(budget: RequestBudget, caller: string) {
    this.#budget = budget;
    this.caller = caller;
  }

  grow(bytes: number): BudgetRefusal | undefined {
    return this.#released ? undefined : this.#budget.grow(this, bytes);
  }

  release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#budget.release(this);
  }
}
