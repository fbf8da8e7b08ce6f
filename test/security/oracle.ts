// What every response must look like, whatever the request was: Set-Cookie attributes, session
// clearing, and which tokens a request really carried. Returns problems as strings (no vitest),
// so the fuzz script and the tests share one definition.

/** The cookie attributes a deployment promises. */
export interface CookiePolicy {
  secure: boolean;
  sameSite: "Lax" | "Strict" | "None";
  refreshPath: string;
  domain?: string | undefined;
}

export const DEFAULT_POLICY: CookiePolicy = { secure: true, sameSite: "Lax", refreshPath: "/auth/session/refresh" };

interface ParsedSetCookie {
  name: string;
  value: string;
  attributes: Map<string, string>;
}

export function parseSetCookie(line: string): ParsedSetCookie {
  const [pair = "", ...rest] = line.split(";");
  const eq = pair.indexOf("=");
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const i = part.indexOf("=");
    const key = (i === -1 ? part : part.slice(0, i)).trim().toLowerCase();
    attributes.set(key, i === -1 ? "" : part.slice(i + 1).trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** Every broken promise about the Set-Cookie lines of one response. */
export function cookieProblems(lines: readonly string[], policy: CookiePolicy, nowMs: number): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const { name, value, attributes } = parseSetCookie(line);
    const where = `${name}: ${line.replace(/=[^;]{12,}/, "=<token>")}`;
    if (name !== "sAccessToken" && name !== "sRefreshToken") problems.push(`unexpected cookie ${where}`);
    if (seen.has(name)) problems.push(`cookie set twice in one response: ${name}`);
    seen.add(name);
    if (!attributes.has("httponly")) problems.push(`not HttpOnly: ${where}`);
    if (attributes.has("secure") !== policy.secure) problems.push(`Secure should be ${policy.secure}: ${where}`);
    if (attributes.get("samesite") !== policy.sameSite) problems.push(`SameSite should be ${policy.sameSite}: ${where}`);
    const path = attributes.get("path");
    const expectedPath = name === "sRefreshToken" ? policy.refreshPath : "/";
    if (path !== expectedPath) problems.push(`Path should be ${expectedPath}: ${where}`);
    if (attributes.get("domain") !== policy.domain) problems.push(`Domain should be ${policy.domain ?? "absent"}: ${where}`);
    const expires = Date.parse(attributes.get("expires") ?? "");
    if (value === "") {
      if (expires !== 0) problems.push(`a cleared cookie must expire at the epoch: ${where}`);
      if (attributes.get("max-age") !== "0") problems.push(`a cleared cookie must have Max-Age=0: ${where}`);
    } else if (!(expires > nowMs)) {
      problems.push(`a live cookie must expire in the future: ${where}`);
    }
  }
  return problems;
}

/** True when the response clears the session exactly as WIRE.md says. */
export function clearsSession(response: Response): boolean {
  const cleared = new Set(
    response.headers
      .getSetCookie()
      .map(parseSetCookie)
      .filter((c) => c.value === "")
      .map((c) => c.name),
  );
  return (
    cleared.has("sAccessToken") &&
    cleared.has("sRefreshToken") &&
    response.headers.get("front-token") === "remove" &&
    response.headers.get("anti-csrf") === null
  );
}

/** True when the response clears a header-mode session (supertokens-node: both token headers empty, front-token remove). */
export function clearsHeaderSession(response: Response): boolean {
  return (
    response.headers.get("st-access-token") === "" &&
    response.headers.get("st-refresh-token") === "" &&
    response.headers.get("front-token") === "remove"
  );
}

/**
 * Every token a request could carry in `Authorization: Bearer …` (header mode): each such
 * header's value after the scheme, trimmed, and the whole joined value. Lenient on purpose.
 */
export function bearerCandidates(headers: readonly [string, string][]): string[] {
  const values = headers.filter(([n]) => n.toLowerCase() === "authorization").map(([, v]) => v);
  const out: string[] = [];
  for (const value of [...values, values.join(", ")]) if (value.startsWith("Bearer ")) out.push(value.slice(7).trim());
  return out.filter((v) => v.length > 0);
}

/** True when the response sets any session cookie or session header at all. */
export function touchesSession(response: Response): boolean {
  return response.headers.getSetCookie().length > 0 || response.headers.has("front-token") || response.headers.has("anti-csrf");
}

/**
 * Every value a server could reasonably read for cookie `name` from a Cookie header: each
 * occurrence, trimmed, without quotes, percent-decoded. A lenient superset on purpose: the
 * oracle uses it to say which tokens a request could have carried.
 */
export function cookieCandidates(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(/[;,]/)) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    let value = part.slice(eq + 1).trim();
    out.push(value);
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    out.push(value);
    try {
      out.push(decodeURIComponent(value));
    } catch {
      // not percent-encoding
    }
  }
  return out;
}

/** Decodes like jose on Node 20 (atob: ASCII whitespace and padding ignored, spare bits dropped). */
function segmentBytes(segment: string): string | undefined {
  const text = segment.replace(/[\t\n\f\r ]/g, "").replace(/=+$/, "");
  if (!/^[A-Za-z0-9_-]*$/.test(text)) return undefined;
  return Buffer.from(text, "base64url").toString("hex");
}

/**
 * Two JWTs with the same decoded header, payload and signature bytes. The JWS encoding is
 * malleable (spare bits, whitespace): a re-spelled genuine token is the same token, not a forgery.
 */
export function sameJwt(a: string, b: string): boolean {
  const x = a.split(".");
  const y = b.split(".");
  if (x.length !== 3 || y.length !== 3) return false;
  return x.every((segment, i) => {
    const bytes = segmentBytes(segment);
    return bytes !== undefined && bytes === segmentBytes(y[i] ?? "");
  });
}

/** The JSON body of a response, or undefined when it is not JSON. */
export async function jsonBody(response: Response): Promise<Record<string, unknown> | undefined> {
  const text = await response.text();
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}
