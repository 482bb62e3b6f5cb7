/**
 * The bounded caches of what the fakes parse and make (keys, requests, CA certificates, names,
 * extensions), and the one call that empties them all. Each cache is declared next to what fills
 * it; all are made here, so that clearTlsFakeCaches cannot miss one.
 */

/**
 * A bounded map that forgets its least recently used entry. The fakes' caches are keyed by the
 * exact PEM text they were parsed from (or made as), or by content, and hold only what that key
 * determines, so they are shared by every FakeTls (any seed, any clock) without changing an output.
 */
class Lru<K, V> {
  private readonly entries = new Map<K, V>();
  constructor(private readonly capacity: number) {}
  get(key: K): V | undefined {
    const value = this.entries.get(key);
    if (value !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, value);
    }
    return value;
  }
  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, value);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value as K);
  }
  clear(): void {
    this.entries.clear();
  }
}

const caches: { clear(): void }[] = [];

/** A cache of at most `capacity` entries, shared by every FakeTls and emptied by clearTlsFakeCaches. */
export function sharedCache<K, V>(capacity: number): Lru<K, V> {
  const cache = new Lru<K, V>(capacity);
  caches.push(cache);
  return cache;
}

/**
 * Forgets every parsed key, request, CA certificate, name and extension (for tests: the next
 * resources are made from their PEMs alone, and must come out the same).
 */
export function clearTlsFakeCaches(): void {
  for (const cache of caches) cache.clear();
}
