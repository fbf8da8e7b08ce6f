// A bounded map of verified access tokens: each entry dies at its token's expiry, and the
// oldest entries go first when the cache is full (tokens are replaced at refresh anyway).

/**
 * Entries are found by the token's last characters (the end of the JWT signature) and then
 * compared whole: hashing a fresh ~700-character cookie value on every lookup cost a
 * microsecond per request, hashing 32 characters almost nothing.
 */
const LOOKUP_CHARS = 32;
const lookupKey = (key: string) => (key.length > LOOKUP_CHARS ? key.slice(-LOOKUP_CHARS) : key);

export class TokenCache<V> {
  #entries = new Map<string, { key: string; value: V; expiresAtMs: number }>();

  constructor(private readonly maxEntries: number) {}

  get(key: string, nowMs: number): V | undefined {
    const short = lookupKey(key);
    const entry = this.#entries.get(short);
    if (!entry || entry.key !== key) return undefined;
    if (entry.expiresAtMs <= nowMs) {
      this.#entries.delete(short);
      return undefined;
    }
    return entry.value;
  }

  set(key: string, value: V, expiresAtMs: number): void {
    if (this.maxEntries === 0) return;
    const short = lookupKey(key);
    if (this.#entries.size >= this.maxEntries && !this.#entries.has(short)) {
      const oldest = this.#entries.keys().next();
      if (!oldest.done) this.#entries.delete(oldest.value);
    }
    this.#entries.set(short, { key, value, expiresAtMs });
  }

  get size(): number {
    return this.#entries.size;
  }
}
