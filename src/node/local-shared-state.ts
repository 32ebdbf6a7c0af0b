/**
 * The SharedState of one process (src/pool/shared-state.ts): cooldowns and windows in
 * `state.json`, session bindings in memory, consumption in memory plus `consumption.jsonl`. A
 * store shared by several hub replicas (Redis) would replace this file and nothing else.
 */
import type { Logger } from 'pino';
import { StickySessions, type SessionBindings, type SharedState } from '../pool/index.ts';
import { ConsumptionFile } from './consumption-file.ts';
import { StateStore } from './state-store.ts';

export class LocalSharedState implements SharedState {
  readonly credentials: StateStore;
  readonly consumption: ConsumptionFile;
  readonly #sessions = new Map<string, StickySessions>();

  constructor(options: { stateDir: string; logger: Logger; callers: Iterable<string>; now: () => number }) {
    this.credentials = new StateStore(options.stateDir, options.logger);
    this.consumption = new ConsumptionFile(options.stateDir, options.logger, options.callers, options.now);
  }

  async load(): Promise<void> {
    await this.credentials.load();
    await this.consumption.load();
  }

  sessions(provider: string): SessionBindings {
    let sessions = this.#sessions.get(provider);
    if (sessions === undefined) {
      sessions = new StickySessions();
      this.#sessions.set(provider, sessions);
    }
    return sessions;
  }

  async close(): Promise<void> {
    await this.credentials.close();
    await this.consumption.close();
  }
}
