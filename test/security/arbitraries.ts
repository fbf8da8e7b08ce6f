// fast-check recipes for hostile requests. A recipe is symbolic ("the genuine refresh token with
// its 7th character changed"), rendered against a real session at run time, so shrinking keeps
// working and every case can use fresh tokens.

import fc from "fast-check";
import type { Genuine } from "./target.js";

export type Which = "access" | "refresh" | "anti" | "front";

export type Mutation =
  | { op: "same" }
  | { op: "flip"; at: number; char: string }
  | { op: "truncate"; at: number }
  | { op: "append"; text: string }
  | { op: "delete"; at: number }
  | { op: "insert"; at: number; text: string }
  | { op: "swapSegments"; i: number; j: number }
  | { op: "replaceSegment"; i: number; text: string }
  | { op: "percent" }
  | { op: "quote" }
  | { op: "upper" }
  | { op: "repeat" };

export type ValueRecipe =
  | { kind: "genuine"; which: Which; mutation: Mutation }
  | { kind: "text"; text: string }
  | { kind: "big"; size: number; char: string }
  | { kind: "jwtish"; header: string; payload: string; signature: string };

export interface CookieRecipe {
  name: string;
  value: ValueRecipe;
}

export interface RequestRecipe {
  cookies: CookieRecipe[];
  separator: string;
  garbage: string;
  headers: Array<{ name: string; value: ValueRecipe; bearer: boolean }>;
}

const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Characters a fetch header value may hold: printable Latin-1 (no CR, LF, NUL or DEL). */
const headerChar = fc
  .oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0xa0, max: 0xff }), fc.constantFrom(0x09, 0x80, 0x9f))
  .map((c) => String.fromCharCode(c));

/** A header-safe string: printable Latin-1, UTF-8 bytes read as Latin-1 ("wrong encoding"), or cookie syntax. */
export const headerText = (maxLength = 40) =>
  fc.oneof(
    fc.string({ unit: headerChar, maxLength }),
    fc.string({ maxLength: maxLength / 2 }).map((s) =>
      Buffer.from(s, "utf8")
        .toString("latin1")
        .replace(/[\0-\x08\x0a-\x1f\x7f]/g, ""),
    ),
    fc.stringMatching(/^[%=;,"\\ .a-zA-Z0-9]{0,20}$/),
    fc.constantFrom("", " ", "%", "%E0%A4%A", "%zz", "%00", '"', '""', "=", ";", "null", "undefined", "[object Object]"),
  );

const base64urlText = fc.string({ unit: fc.constantFrom(...B64URL.split("")), maxLength: 60 });

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ op: "same" } as const) },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("flip" as const),
      at: fc.nat(400),
      char: fc.constantFrom(...B64URL.split(""), ".", "=", "+", "/"),
    }),
  },
  fc.record({ op: fc.constant("truncate" as const), at: fc.nat(400) }),
  fc.record({ op: fc.constant("append" as const), text: headerText(12) }),
  fc.record({ op: fc.constant("delete" as const), at: fc.nat(400) }),
  fc.record({ op: fc.constant("insert" as const), at: fc.nat(400), text: headerText(6) }),
  fc.record({ op: fc.constant("swapSegments" as const), i: fc.nat(3), j: fc.nat(3) }),
  fc.record({ op: fc.constant("replaceSegment" as const), i: fc.nat(3), text: base64urlText }),
  fc.constantFrom({ op: "percent" } as const, { op: "quote" } as const, { op: "upper" } as const, { op: "repeat" } as const),
);

const b64json = (json: fc.Arbitrary<string>) => json.map((text) => Buffer.from(text, "utf8").toString("base64url"));

/** A JWT-shaped string with hostile headers (alg none, odd kids) and payloads (any JSON). */
const jwtish = fc.record({
  kind: fc.constant("jwtish" as const),
  header: b64json(
    fc.oneof(
      fc.json({ maxDepth: 2 }),
      fc
        .record(
          {
            alg: fc.constantFrom("none", "None", "HS256", "RS256", "ES256", "EdDSA", "PS256", ""),
            typ: fc.constantFrom("JWT", "jwt", "at+jwt"),
            kid: fc.oneof(headerText(20), fc.constantFrom("../../etc/passwd", "' OR '1'='1", "x".repeat(300))),
            crit: fc.constant(["b64"]),
            b64: fc.boolean(),
          },
          { requiredKeys: ["alg"] },
        )
        .map((h) => JSON.stringify(h)),
    ),
  ),
  payload: b64json(fc.oneof(fc.json({ maxDepth: 2 }), fc.constant("[]"), fc.constant('{"sub":1,"sessionHandle":{}}'))),
  signature: base64urlText,
});

export const valueRecipe: fc.Arbitrary<ValueRecipe> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant("genuine" as const),
      which: fc.constantFrom<Which>("access", "refresh", "anti", "front"),
      mutation,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("text" as const), text: headerText() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("big" as const),
      size: fc.constantFrom(1024, 10 * 1024, 17 * 1024),
      char: fc.constantFrom("a", "%", ".", "\xff"),
    }),
  },
  { weight: 2, arbitrary: jwtish },
);

const cookieName = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom("sAccessToken", "sRefreshToken") },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "sFrontToken",
      "sAntiCsrf",
      "st-last-access-token-update",
      "SACCESSTOKEN",
      " sAccessToken",
      "sAccessToken ",
      "",
      "$Version",
    ),
  },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/) },
);

export const requestRecipe: fc.Arbitrary<RequestRecipe> = fc.record({
  cookies: fc.array(fc.record({ name: cookieName, value: valueRecipe }), { maxLength: 5 }),
  separator: fc.constantFrom("; ", ";", " ; ", ", ", ";;"),
  garbage: fc.oneof({ weight: 4, arbitrary: fc.constant("") }, { weight: 1, arbitrary: headerText(20) }),
  headers: fc.array(
    fc.record({
      name: fc.oneof(
        fc.constantFrom(
          "authorization",
          "anti-csrf",
          "front-token",
          "rid",
          "st-auth-mode",
          "fdi-version",
          "origin",
          "content-type",
          "x-forwarded-for",
        ),
        fc.stringMatching(/^x-[a-z0-9-]{1,10}$/),
      ),
      value: valueRecipe,
      bearer: fc.boolean(),
    }),
    { maxLength: 5 },
  ),
});

function genuineValue(which: Which, genuine: Genuine): string {
  switch (which) {
    case "access":
      return genuine.accessToken;
    case "refresh":
      return genuine.refreshToken;
    case "anti":
      return genuine.antiCsrf ?? "";
    case "front":
      return genuine.frontToken ?? "";
  }
}

export function mutate(text: string, m: Mutation): string {
  const at = (n: number) => (text.length === 0 ? 0 : n % (text.length + 1));
  switch (m.op) {
    case "same":
      return text;
    case "flip": {
      if (text.length === 0) return m.char;
      const i = m.at % text.length;
      return text.slice(0, i) + m.char + text.slice(i + 1);
    }
    case "truncate":
      return text.slice(0, at(m.at));
    case "append":
      return text + m.text;
    case "delete": {
      const i = at(m.at);
      return text.slice(0, i) + text.slice(i + 1);
    }
    case "insert": {
      const i = at(m.at);
      return text.slice(0, i) + m.text + text.slice(i);
    }
    case "swapSegments": {
      const parts = text.split(".");
      const i = m.i % parts.length;
      const j = m.j % parts.length;
      [parts[i], parts[j]] = [parts[j] ?? "", parts[i] ?? ""];
      return parts.join(".");
    }
    case "replaceSegment": {
      const parts = text.split(".");
      parts[m.i % parts.length] = m.text;
      return parts.join(".");
    }
    case "percent":
      return Array.from(text, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("");
    case "quote":
      return `"${text}"`;
    case "upper":
      return text.toUpperCase();
    case "repeat":
      return `${text}.${text}`;
  }
}

/** Removes what a fetch `Headers` would refuse (CR, LF, NUL), so the request reaches the server. */
function headerSafe(text: string): string {
  return text.replace(/[\0\r\n]/g, "");
}

export function renderValue(recipe: ValueRecipe, genuine: Genuine): string {
  switch (recipe.kind) {
    case "genuine":
      return headerSafe(mutate(genuineValue(recipe.which, genuine), recipe.mutation));
    case "text":
      return recipe.text;
    case "big":
      return recipe.char.repeat(recipe.size);
    case "jwtish":
      return `${recipe.header}.${recipe.payload}.${recipe.signature}`;
  }
}

/** The request headers a recipe stands for, as name/value pairs (names may repeat). */
export function renderHeaders(recipe: RequestRecipe, genuine: Genuine): [string, string][] {
  const out: [string, string][] = [];
  const cookie = recipe.cookies.map((c) => `${c.name}=${renderValue(c.value, genuine)}`).join(recipe.separator) + recipe.garbage;
  if (cookie.length > 0) out.push(["cookie", cookie]);
  for (const h of recipe.headers) {
    const value = renderValue(h.value, genuine);
    out.push([h.name, h.bearer && h.name === "authorization" ? `Bearer ${value}` : value]);
  }
  return out;
}
