// A small, strict cookie jar for tests: honours Path, Domain and expiry like a browser does, and
// sends cookies in the browser's order (longer Path first, then older first, RFC 6265 5.4).

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  /** The Domain attribute (leading dot dropped), or undefined for a host-only cookie. */
  domain: string | undefined;
  expires: number;
  attributes: string[];
  created: number;
}

export class CookieJar {
  #cookies = new Map<string, StoredCookie>();
  #created = 0;
  /**
   * @param host the host this jar's requests go to: host-only cookies belong to it, Domain
   * cookies to it and its subdomains.
   */
  constructor(
    private readonly now: () => number = Date.now,
    readonly host = "localhost",
  ) {}

  /** `fetch` with this jar's cookies for the URL's path; stores the Set-Cookie lines that come back. */
  async fetch(url: URL, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    const cookie = this.header(url.pathname);
    if (cookie) headers.set("cookie", cookie);
    const response = await fetch(url, { ...init, headers });
    this.store(response);
    return response;
  }

  /** Stores every Set-Cookie of a response (or of a Headers object), as set by `host`. */
  store(from: Response | Headers): void {
    // Duck-typed: yoga.fetch on Node returns another realm's Response class.
    const headers = "getSetCookie" in from ? from : from.headers;
    for (const line of headers.getSetCookie()) {
      const [pair = "", ...attrs] = line.split(";").map((s) => s.trim());
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq);
      const value = pair.slice(eq + 1);
      let path = "/";
      let domain: string | undefined;
      let expires = Number.POSITIVE_INFINITY;
      for (const attr of attrs) {
        const [k = "", v = ""] = attr.split("=");
        if (k.toLowerCase() === "path") path = v;
        if (k.toLowerCase() === "domain" && v) domain = v.replace(/^\./, "").toLowerCase();
        if (k.toLowerCase() === "expires") expires = Date.parse(v);
        if (k.toLowerCase() === "max-age") expires = Number(v) <= 0 ? 0 : this.now() + Number(v) * 1000;
      }
      // A browser would refuse a Domain the setting host is not inside; tests of the Domain
      // attribute run on localhost, so such a cookie is kept, as host-only.
      if (domain !== undefined && !domainMatches(this.host, domain)) domain = undefined;
      this.#put({ name, value, path, domain, expires, attributes: attrs, created: 0 });
    }
  }

  #put(cookie: StoredCookie, keepEmpty = false): void {
    const key = `${cookie.name}|${cookie.domain ?? ""}|${cookie.path}`;
    const existing = this.#cookies.get(key);
    if (cookie.expires <= this.now() || (cookie.value === "" && !keepEmpty)) {
      this.#cookies.delete(key);
      return;
    }
    this.#created += 1;
    this.#cookies.set(key, { ...cookie, created: existing?.created ?? this.#created });
  }

  /** The Cookie header a browser would send to `path` on `host`. */
  header(path: string, host = this.host): string {
    const out: StoredCookie[] = [];
    for (const c of this.#cookies.values()) {
      if (c.expires <= this.now()) continue;
      if (c.domain === undefined ? host !== this.host : !domainMatches(host, c.domain)) continue;
      if (path === c.path || path.startsWith(c.path.endsWith("/") ? c.path : `${c.path}/`) || c.path === "/") out.push(c);
    }
    out.sort((a, b) => b.path.length - a.path.length || a.created - b.created);
    return out.map((c) => `${c.name}=${c.value}`).join("; ");
  }

  get(name: string): string | undefined {
    for (const c of this.#cookies.values()) if (c.name === name) return c.value;
    return undefined;
  }

  /** Every stored cookie of that name, with where it lives. */
  all(name: string): Array<{ value: string; path: string; domain: string | undefined }> {
    return [...this.#cookies.values()].filter((c) => c.name === name).map(({ value, path, domain }) => ({ value, path, domain }));
  }

  /**
   * Sets a cookie as a script or another host could: `domain` makes it a Domain cookie (as a
   * sibling subdomain can set for the parent domain), otherwise it is host-only.
   */
  set(name: string, value: string, path = "/", domain?: string): void {
    this.#put({ name, value, path, domain, expires: Number.POSITIVE_INFINITY, attributes: [], created: 0 }, true);
  }

  delete(name: string): void {
    for (const [k, c] of this.#cookies) if (c.name === name) this.#cookies.delete(k);
  }

  clone(): CookieJar {
    const jar = new CookieJar(this.now, this.host);
    for (const [k, c] of this.#cookies) jar.#cookies.set(k, { ...c });
    jar.#created = this.#created;
    return jar;
  }
}

/** RFC 6265 domain-match: the host is the domain or a subdomain of it. */
function domainMatches(host: string, domain: string): boolean {
  const h = host.toLowerCase();
  return h === domain || h.endsWith(`.${domain}`);
}
