// The scheduler's one timer: a min-heap of due times for every target×operation, armed for the earliest only.
import { clampDelay } from './delay';

/** The most slots started in one turn of the event loop. */
const slotsPerTurn = 64;

interface Slot<T> {
  dueAt: number;
  item: T;
  /** Which schedule() of the item this is; a later schedule() makes an earlier slot stale. */
  generation: number;
}

/**
 * Runs `run(item, lateMs)` when each item's slot comes, `lateMs` being how far behind its due time it runs. One
 * setTimeout for all items, whatever their number: 20,000 target×operation pairs are 20,000 heap entries of three
 * fields, not 20,000 Timeout objects with closures. Times are performance.now() milliseconds (monotonic).
 */
export class ProbeClock<T extends object> {
  readonly #heap: Array<Slot<T>> = [];
  readonly #generations = new WeakMap<T, number>();
  #timer: NodeJS.Timeout | undefined;
  /** When the armed timer fires; Infinity when none is armed. */
  #armedAt = Infinity;
  #stopped = false;

  constructor(private readonly run: (item: T, lateMs: number) => void) {}

  /** (Re)schedules `item` `delayMs` from now; an earlier slot of the same item is dropped. */
  schedule(item: T, delayMs: number): void {
    if (this.#stopped) return;
    const generation = (this.#generations.get(item) ?? 0) + 1;
    this.#generations.set(item, generation);
    this.#push({ dueAt: performance.now() + delayMs, item, generation });
    this.#arm();
  }

  /** Drops every slot and the timer; nothing runs afterwards. */
  clear(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#heap.length = 0;
  }

  #arm(): void {
    const next = this.#heap[0];
    if (!next || next.dueAt >= this.#armedAt) return;
    clearTimeout(this.#timer);
    this.#armedAt = next.dueAt;
    this.#timer = setTimeout(() => this.#fire(), clampDelay(next.dueAt - performance.now()));
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Infinity;
    const now = performance.now();
    // What is due runs now, in due order, at most slotsPerTurn of it: a backlog (a machine that was busy, a paused
    // process) starts in batches with I/O and /metrics in between, not as thousands of connections in one tick.
    const due: Array<Slot<T>> = [];
    while (due.length < slotsPerTurn && this.#heap.length > 0 && this.#heap[0]!.dueAt <= now) due.push(this.#pop()!);
    for (const slot of due) {
      if (this.#stopped) return;
      if (this.#generations.get(slot.item) !== slot.generation) continue;
      this.run(slot.item, performance.now() - slot.dueAt);
    }
    if (this.#stopped) return;
    if (this.#heap.length > 0 && this.#heap[0]!.dueAt <= performance.now()) {
      this.#armedAt = -Infinity;
      setImmediate(() => this.#fire());
      return;
    }
    this.#arm();
  }

  #push(slot: Slot<T>): void {
    const heap = this.#heap;
    heap.push(slot);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent]!.dueAt <= slot.dueAt) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = slot;
  }

  #pop(): Slot<T> | undefined {
    const heap = this.#heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length === 0 || !last) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && heap[right]!.dueAt < heap[left]!.dueAt ? right : left;
      if (heap[child]!.dueAt >= last.dueAt) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
