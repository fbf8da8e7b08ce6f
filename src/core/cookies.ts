// Reading the Cookie header and writing Set-Cookie lines, defensively: bad input never throws.

/** Longest Cookie header we parse; anything longer is treated as carrying no session. */
export const MAX_COOKIE_HEADER = 64 * 1024;

/**
 * Every value of `name` in a Cookie header, in the order the browser sent them. Never throws.
 * Linear in the header's length: each character is looked at a bounded number of times (the
 * position of the next "=" is remembered across pairs, so a header of 64 KB of ";" is one pass,
 * not one scan to the end per pair).
 */
export function readCookies(header: string | null | undefined, name: string): string[] {
  const values: string[] = [];
  if (typeof header !== "string" || header.length === 0 || header.length > MAX_COOKIE_HEADER) return values;
  const n = header.length;
  let start = 0;
  let eq = -1;
  while (start < n) {
    let end = header.indexOf(";", start);
    if (end === -1) end = n;
    if (eq < start) {
      eq = header.indexOf("=", start);
      if (eq === -1) break; // no "=" left: no more cookies
    }
    if (eq < end && nameIs(header, start, eq, name)) values.push(decodeValue(header.slice(eq + 1, end).trim()));
    start = end + 1;
  }
  return values;
}

/** What `String.prototype.trim` removes (WhiteSpace and LineTerminator). */
function trimmed(code: number): boolean {
  return (
    code === 0x20 ||
    (code >= 0x09 && code <= 0x0d) ||
    (code > 0x7f &&
      (code === 0xa0 ||
        code === 0x1680 ||
        (code >= 0x2000 && code <= 0x200a) ||
        code === 0x2028 ||
        code === 0x2029 ||
        code === 0x202f ||
        code === 0x205f ||
        code === 0x3000 ||
        code === 0xfeff))
  );
}

/** `header.slice(from, to).trim() === name`, without making the slice (one per cookie pair of every request). */
function nameIs(header: string, from: number, to: number, name: string): boolean {
  let a = from;
  let b = to;
  while (a < b && trimmed(header.charCodeAt(a))) a++;
  while (b > a && trimmed(header.charCodeAt(b - 1))) b--;
  return b - a === name.length && header.startsWith(name, a);
}

function decodeValue(raw: string): string {
  let value = raw;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  if (value.includes("%")) {
    try {
      value = decodeURIComponent(value);
    } catch {
      // not percent-encoded after all: keep the raw value, verification will reject it
    }
  }
  return value;
}

/** The `SameSite` attribute of the session cookies (`"none"` forces `Secure`). */
export type SameSite = "lax" | "strict" | "none";

export interface CookieAttributes {
  path: string;
  /** Absent: a session cookie, gone when the browser closes. */
  expires: Date | undefined;
  httpOnly: boolean;
  secure: boolean;
  sameSite: SameSite;
  domain?: string | undefined;
}

const SAME_SITE: Record<SameSite, string> = { lax: "Lax", strict: "Strict", none: "None" };

/** Serialises one Set-Cookie value. Values we write are base64url, JWTs or empty: no encoding needed. */
export function serializeCookie(name: string, value: string, attributes: CookieAttributes): string {
  let out = `${name}=${value}; Path=${attributes.path}`;
  if (attributes.expires !== undefined) {
    out += `; Expires=${attributes.expires.toUTCString()}`;
    if (attributes.expires.getTime() <= 0) out += "; Max-Age=0";
  }
  if (attributes.domain) out += `; Domain=${attributes.domain}`;
  if (attributes.httpOnly) out += "; HttpOnly";
  if (attributes.secure) out += "; Secure";
  out += `; SameSite=${SAME_SITE[attributes.sameSite]}`;
  return out;
}

/** The cookie name a Set-Cookie line sets. */
export function setCookieName(line: string): string {
  const eq = line.indexOf("=");
  return (eq === -1 ? line : line.slice(0, eq)).trim();
}
