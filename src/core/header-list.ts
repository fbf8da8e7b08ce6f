// The headers of an answer the Node middleware writes itself (handler.ts): set and read like a
// fetch `Headers`, but a plain Map, with no validation, normalisation or sorting on every call
// (the ServerResponse validates once, when they are written). The response writer treats it as a
// Node response. Written in the order a `Headers` iterates (names sorted, Set-Cookie last), so the
// bytes on the wire are the ones the `Headers` it replaces gave.

import type { NodeResponseLike } from "./http.js";

export class HeaderList implements NodeResponseLike {
  readonly #values = new Map<string, string | readonly string[]>();

  /** A list holding a fetch `Headers`' entries (a CORS policy's), values combined as `Headers` gives them. */
  static of(headers: Headers | undefined): HeaderList {
    const list = new HeaderList();
    if (headers === undefined) return list;
    headers.forEach((value, name) => {
      if (name !== "set-cookie") list.#values.set(name, value);
    });
    const cookies = headers.getSetCookie();
    if (cookies.length > 0) list.#values.set("set-cookie", cookies);
    return list;
  }

  setHeader(name: string, value: string | readonly string[]): void {
    this.#values.set(name.toLowerCase(), value);
  }

  set(name: string, value: string): void {
    this.#values.set(name.toLowerCase(), value);
  }

  getHeader(name: string): string | readonly string[] | undefined {
    return this.#values.get(name.toLowerCase());
  }

  has(name: string): boolean {
    return this.#values.has(name.toLowerCase());
  }

  removeHeader(name: string): void {
    this.#values.delete(name.toLowerCase());
  }

  /** Onto a Node response: every name in sorted order, then Set-Cookie after the lines it already has. */
  writeTo(res: NodeResponseLike): void {
    const values = this.#values;
    for (const name of [...values.keys()].sort()) {
      const value = values.get(name);
      if (name !== "set-cookie" && value !== undefined) res.setHeader(name, value);
    }
    const cookies = values.get("set-cookie");
    if (cookies === undefined || cookies.length === 0) return;
    const existing = res.getHeader("set-cookie");
    const before = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
    res.setHeader("set-cookie", [...before, ...(typeof cookies === "string" ? [cookies] : cookies)]);
  }
}
