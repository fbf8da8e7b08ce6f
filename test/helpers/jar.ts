// A small, strict cookie jar for tests: honours Path and expiry like a browser does.

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expires: number;
  attributes: string[];
}

export class CookieJar {
  #cookies = new Map<string, StoredCookie>();
  constructor(private readonly now: () => number = Date.now) {}

  /** Stores every Set-Cookie of a response (or of a Headers object). */
  store(from: Response | Headers): void {
    // Duck-typed: yoga.fetch on Node returns another realm's Response class.
    const headers = "getSetCookie" in from ? from : from.headers;
    for (const line of headers.getSetCookie()) {
      const [pair = "", ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = "/";
      let expires = Number.POSITIVE_INFINITY;
      for (const attr of attrs) {
        const [k = "", v = ""] = attr.split("=");
        if (k.toLowerCase() === "path") path = v;
        if (k.toLowerCase() === "expires") expires = Date.parse(v);
        if (k.toLowerCase() === "max-age") expires = Number(v) <= 0 ? 0 : this.now() + Number(v) * 1000;
      }
      const key = `${name}|${path}`;
      if (expires <= this.now() || value === "") this.#cookies.delete(key);
      else this.#cookies.set(key, { name, value, path, expires, attributes: attrs });
    }
  }

  /** The Cookie header a browser would send to `path`. */
  header(path: string): string {
    const out: string[] = [];
    for (const c of this.#cookies.values()) {
      if (c.expires <= this.now()) continue;
      if (path === c.path || path.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`) || c.path === "/") {
        out.push(`${c.name}=${c.value}`);
      }
    }
    return out.join("; ");
  }

  get(name: string): string | undefined {
    for (const c of this.#cookies.values()) if (c.name === name) return c.value;
    return undefined;
  }

  set(name: string, value: string, path = "/"): void {
    this.#cookies.set(`${name}|${path}`, { name, value, path, expires: Number.POSITIVE_INFINITY, attributes: [] });
  }

  delete(name: string): void {
    for (const [k, c] of this.#cookies) if (c.name === name) this.#cookies.delete(k);
  }

  clone(): CookieJar {
    const jar = new CookieJar(this.now);
    for (const [k, c] of this.#cookies) jar.#cookies.set(k, { ...c });
    return jar;
  }
}
