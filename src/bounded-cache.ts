/**
 * A map that forgets its older half when full: O(1) for every operation. (Evicting a Map's
 * first key one by one is not: V8 walks the holes that earlier deletions left.)
 */
export class BoundedCache<K, V> {
  private young = new Map<K, V>();
  private old = new Map<K, V>();

  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    return this.young.has(key) ? this.young.get(key) : this.old.get(key);
  }

  set(key: K, value: V): void {
    if (this.young.size >= Math.max(1, Math.floor(this.limit / 2))) {
      this.old = this.young;
      this.young = new Map();
    }
    this.young.set(key, value);
  }

  delete(key: K): void {
    this.young.delete(key);
    this.old.delete(key);
  }
}
