// The run's rule for requests in flight at once: any number of reads together, but a DELETE (any unsafe method) alone. The relay applies it
// to every request it sends (every worker, every spec), so the generated phase may send several GETs at once while no
// DELETE ever overlaps another DELETE, or a read of the state it changes.
//
// First come, first served: a DELETE waits for the requests in flight before it to end, and every request after it
// waits for it to end; reads queued behind a waiting DELETE do not overtake it (it is never starved).
import { isSafeMethod } from './policy';

/**
 * Whether a method goes alone: every method that is not safe. DELETE is the one such method the contract documents, but
 * the generated phase also sends PUT, POST and PATCH to see them refused, and a real target that accepted one could
 * change the state a concurrent read depends on.
 */
export function goesAlone(method: string): boolean {
  return !isSafeMethod(method);
}

/** Who is in flight now. */
export interface InFlightCount {
  shared: number;
  alone: number;
}

/** A readers-writer queue of requests: `enter` resolves when the request may go, with the function that ends it. */
export class InFlightRule {
  private shared = 0;
  private alone = 0;
  private readonly waiting: Array<{ alone: boolean; go: () => void }> = [];

  /** Resolves once a request of this method may be sent; call the returned function (once) when it has been answered or given up. */
  enter(method: string): Promise<() => void> {
    const alone = goesAlone(method);
    return new Promise((resolve) => {
      this.waiting.push({ alone, go: () => resolve(this.leaver(alone)) });
      this.admit();
    });
  }

  /** The requests in flight now (for tests and reports). */
  count(): InFlightCount {
    return { shared: this.shared, alone: this.alone };
  }

  private leaver(alone: boolean): () => void {
    let left = false;
    return () => {
      if (left) return;
      left = true;
      if (alone) this.alone -= 1;
      else this.shared -= 1;
      this.admit();
    };
  }

  /** Lets in, in order, every waiting request that may go now. */
  private admit(): void {
    for (let next = this.waiting[0]; next; next = this.waiting[0]) {
      if (this.alone > 0) return;
      if (next.alone && this.shared > 0) return;
      this.waiting.shift();
      if (next.alone) this.alone += 1;
      else this.shared += 1;
      next.go();
      if (next.alone) return;
    }
  }
}
