/** A small typed listener set; returns unsubscribe functions. */
export class ChangeListeners<Listener extends (...args: never[]) => void> {
  readonly #listeners = new Set<Listener>();

  add(listener: Listener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  emit(...args: Parameters<Listener>): void {
    for (const listener of this.#listeners) listener(...args);
  }

  clear(): void {
    this.#listeners.clear();
  }
}
