// Session handles: UUIDv7 (RFC 9562 §5.7). The first 48 bits are the Unix time in milliseconds
// (the injected clock), so handles minted later sort later, as text in any collation that orders
// 0-9 before a-f (C, C.UTF-8, ICU and glibc locales alike; the hyphens sit at the same places in
// every handle). A sign-in then inserts into the right-hand edge of the primary-key B-tree, a
// page that stays in shared_buffers, instead of a random leaf of a large index (a read, and a
// full-page image in the WAL after every checkpoint). Handles are not secrets (the access token
// carries `sessionHandle`), and the 62 random bits of rand_b plus 11 of rand_a still make them
// unguessable. Handles of older rows (UUIDv4) stay valid: every reader takes any lowercase UUID.

import type { RandomBytes } from "./encoding.js";

/** Two lowercase hex digits per byte value: a handle is 16 lookups, not 16 closures and pads. */
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** 12-bit rand_a as a counter (RFC 9562 §6.2, method 1): monotonic within one millisecond. */
export class HandleClock {
  #lastMs = -1;
  #counter = 0;

  constructor(
    private readonly randomBytes: RandomBytes,
    private readonly now: () => number,
  ) {}

  /** A new UUIDv7: time-ordered, strictly increasing from this clock. */
  next(): string {
    const b = this.randomBytes(16);
    const ms = Math.floor(this.now());
    if (ms > this.#lastMs) {
      this.#lastMs = ms;
      // A random start with the top bit clear leaves at least 2,048 steps in this millisecond.
      this.#counter = (((b[6] ?? 0) & 0x07) << 8) | (b[7] ?? 0);
    } else if (this.#counter < 0xfff) {
      // Same millisecond, or the clock went back: count on from the last handle.
      this.#counter++;
    } else {
      // 4,096 handles in one millisecond: borrow the next one (§6.2: timestamp incremented).
      this.#lastMs++;
      this.#counter = 0;
    }
    let t = this.#lastMs;
    for (let i = 5; i >= 0; i--) {
      b[i] = t % 256;
      t = Math.floor(t / 256);
    }
    b[6] = 0x70 | (this.#counter >> 8);
    b[7] = this.#counter & 0xff;
    b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
    const h = (i: number) => HEX[b[i] as number] as string;
    return `${h(0)}${h(1)}${h(2)}${h(3)}-${h(4)}${h(5)}-${h(6)}${h(7)}-${h(8)}${h(9)}-${h(10)}${h(11)}${h(12)}${h(13)}${h(14)}${h(15)}`;
  }
}
