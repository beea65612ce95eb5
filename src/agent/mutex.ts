/** A promise-chain mutex: callers run one after another in arrival order. */
export class Mutex {
  #tail: Promise<unknown> = Promise.resolve();

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn, fn);
    // The chain continues whether this call failed or not.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
