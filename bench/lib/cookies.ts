// Cookie plumbing for the load generator: what a browser would send back, and what a response set.

/** `name=value` pairs a browser would send to `path` from these Set-Cookie lines (empty values dropped). */
export function cookieHeader(setCookies: string[], path = "/"): string {
  const pairs: string[] = [];
  for (const line of setCookies) {
    const [pair = "", ...attributes] = line.split(";");
    const cookiePath =
      attributes
        .map((a) => a.trim())
        .find((a) => a.toLowerCase().startsWith("path="))
        ?.slice(5) ?? "/";
    const eq = pair.indexOf("=");
    if (eq === -1 || eq === pair.length - 1 || !path.startsWith(cookiePath)) continue;
    pairs.push(pair.trim());
  }
  return pairs.join("; ");
}

/** The value a Set-Cookie header (string or list, as autocannon reports it) gives to `name`. */
export function setCookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [header];
  for (const line of lines) {
    if (line.startsWith(`${name}=`)) {
      const value = line.slice(name.length + 1).split(";")[0];
      if (value) return value;
    }
  }
  return undefined;
}

/** POSTs JSON and returns the cookies the response set, failing on a non-2xx answer. */
export async function postForCookies(url: string, body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text.slice(0, 300)}`);
  return { setCookies: response.headers.getSetCookie(), body: text };
}
