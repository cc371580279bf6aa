/** An item that knows its place in an IndexedSet (-1 when in none). */
export interface Indexed {
  setIndex: number;
}

/**
 * The set of things in flight (requests, streams), for sets that see an add and a delete per
 * request: an array with swap-remove, each item holding its own index. Not a JS `Set` (issue 31):
 * under that churn V8 rehashes a Set's table every few adds, and each obsolete table keeps a
 * pointer to its successor and the entries it had. Once one of them is promoted, the chain keeps
 * every later request's objects alive through each scavenge: in bench's load client 2.5 MB
 * survived every scavenge, each took 10–15 ms, and the event loop stalled with it. Order is not
 * kept; an item is in at most one IndexedSet at a time.
 */
export class IndexedSet<T extends Indexed> implements Iterable<T> {
  private readonly items: T[] = [];

  get size(): number {
    return this.items.length;
  }

  add(item: T): void {
    if (item.setIndex >= 0 && this.items[item.setIndex] === item) return;
    item.setIndex = this.items.length;
    this.items.push(item);
  }

  /** Removes `item`; false when it was not in the set. */
  delete(item: T): boolean {
    const i = item.setIndex;
    if (i < 0 || this.items[i] !== item) return false;
    const last = this.items.pop()!;
    if (last !== item) {
      this.items[i] = last;
      last.setIndex = i;
    }
    item.setIndex = -1;
    return true;
  }

  has(item: T): boolean {
    return item.setIndex >= 0 && this.items[item.setIndex] === item;
  }

  /** A copy: safe to iterate while items are deleted (abort all, close all). */
  snapshot(): T[] {
    return this.items.slice();
  }

  [Symbol.iterator](): Iterator<T> {
    return this.items[Symbol.iterator]();
  }
}
