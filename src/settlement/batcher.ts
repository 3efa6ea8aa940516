/**
 * Natural batching: work items that arrive while `maxInFlight` batches are being worked on wait,
 * and go together in the next batch (at most `maxBatch` items). Under light load an item goes
 * alone, on the next turn of the event loop, so batching adds no waiting of its own; under heavy
 * load the batches grow by themselves, and one round trip to the database serves many items.
 *
 * The work function answers each item itself (resolve or reject); an item it leaves unanswered
 * because the whole batch failed is rejected with that failure, so no caller ever hangs.
 */
export interface BatchItem {
  reject(e: unknown): void;
}

export class Batcher<T extends BatchItem> {
  private queue: T[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly work: (batch: T[]) => Promise<void>,
    readonly maxInFlight: number,
    readonly maxBatch: number,
  ) {
    if (!(maxInFlight >= 1 && maxBatch >= 1)) throw new RangeError('a batcher needs maxInFlight ≥ 1 and maxBatch ≥ 1');
  }

  /** Queue an item; `first`: ahead of the others (an item being tried again). */
  add(item: T, first = false): void {
    if (first) this.queue.unshift(item);
    else this.queue.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    // on the next turn, so that the items arriving in the same turn go together
    setImmediate(() => {
      this.scheduled = false;
      this.pump();
    });
  }

  /** items waiting for a batch */
  get waiting(): number {
    return this.queue.length;
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      this.inFlight += 1;
      this.work(batch)
        .catch((e: unknown) => {
          for (const item of batch) item.reject(e); // a promise answered already ignores this
        })
        .finally(() => {
          this.inFlight -= 1;
          this.pump();
        });
    }
  }
}
