// Separate OS processes on one Postgres: ten servers booting at once on an empty schema
// (migrate + first keys), revocations heard across processes, and close() letting a process exit.

import { type ChildProcess, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeProtectedHeader } from "jose";
import { migrations } from "../../src/storage/migrations.js";
import { DATABASE_URL, type TestDb, createTestDb } from "../helpers/db.js";
import { type Instance, openInstance, requestFrom, summary, uniqueChannel, waitLive } from "./instances.js";

const WORKER = fileURLToPath(new URL("./worker.ts", import.meta.url));

class Worker {
  readonly child: ChildProcess;
  readonly ready: Promise<void>;
  readonly exited: Promise<number | null>;
  #next = 0;
  #waiting = new Map<string, { resolve: (v: unknown) => void; reject: (e: Error) => void; onAck?: () => void }>();
  stderr = "";

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, ["--import", "tsx", WORKER], {
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    this.child.stderr?.on("data", (chunk) => {
      this.stderr += String(chunk);
    });
    this.exited = new Promise((resolve) => this.child.on("exit", (code) => resolve(code)));
    let markReady = () => {};
    this.ready = new Promise((resolve) => {
      markReady = resolve;
    });
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on("line", (line) => {
      const message = JSON.parse(line) as { id?: string; ready?: boolean; ack?: boolean; value?: unknown; error?: string };
      if (message.ready) return markReady();
      const waiter = this.#waiting.get(message.id as string);
      if (!waiter) return;
      if (message.ack) return waiter.onAck?.();
      this.#waiting.delete(message.id as string);
      if (message.error) waiter.reject(new Error(`${message.error}\n${this.stderr}`));
      else waiter.resolve(message.value);
    });
  }

  send<T>(cmd: string, args: Record<string, string> = {}, onAck?: () => void): Promise<T> {
    const id = String(this.#next++);
    return new Promise<T>((resolve, reject) => {
      this.#waiting.set(id, { resolve: resolve as (v: unknown) => void, reject, onAck });
      this.child.stdin?.write(`${JSON.stringify({ id, cmd, ...args })}\n`);
    });
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
  }
}

const wallNow = () => performance.timeOrigin + performance.now();

// Separate processes cannot share an in-memory PGlite; these need a Postgres server.
describe.skipIf(!DATABASE_URL)("separate OS processes on postgres (PGlite is in-process only; needs DATABASE_URL)", () => {
  let admin: postgres.Sql;
  const workers: Worker[] = [];
  const schemas: string[] = [];

  beforeAll(() => {
    admin = postgres(DATABASE_URL as string, { max: 1, onnotice: () => {} });
  });
  afterAll(async () => {
    for (const w of workers) w.kill();
    for (const schema of schemas) await admin.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin?.end({ timeout: 1 });
  });

  function spawnWorkers(count: number, env: Record<string, string>): Worker[] {
    const started = Array.from({ length: count }, (_, i) => new Worker({ DATABASE_URL: DATABASE_URL as string, NAME: `w${i}`, ...env }));
    workers.push(...started);
    return started;
  }

  it("10 processes booting at once on an empty schema: migrate is safe, one signing key, one refresh key", async () => {
    const schema = `sk_test_proc_${Math.random().toString(36).slice(2, 8)}`;
    schemas.push(schema);
    await admin.unsafe(`CREATE SCHEMA ${schema}`);
    const group = spawnWorkers(10, { SCHEMA: schema, CHANNEL: uniqueChannel() });
    // Wait until all are loaded, then release them together.
    await Promise.all(group.map((w) => w.ready));
    const booted = await Promise.all(group.map((w) => w.send<{ applied: string[]; handle: string; cookie: string }>("start")));

    // The migrations ran exactly once, in exactly one process.
    const applied = booted.flatMap((b) => b.applied);
    expect(applied).toEqual(migrations.map((m) => m.tag));
    const tags = await admin.unsafe(`SELECT tag FROM ${schema}.sessionkit_migrations`);
    expect(tags.map((r) => r.tag)).toEqual(migrations.map((m) => m.tag));

    const keys = await admin.unsafe(`SELECT purpose, count(*)::int AS n FROM ${schema}.sessionkit_keys GROUP BY purpose ORDER BY purpose`);
    expect([...keys]).toEqual([
      { purpose: "refresh", n: 1 },
      { purpose: "signing", n: 1 },
    ]);
    const kids = new Set(booted.map((b) => decodeProtectedHeader(/sAccessToken=([^;]+)/.exec(b.cookie)?.[1] as string).kid));
    expect(kids.size).toBe(1);

    // Every process accepts every other process's token.
    const crossChecks = await Promise.all(
      group.map((w, i) => w.send<{ result: string }>("verify", { cookie: (booted[(i + 1) % 10] as { cookie: string }).cookie })),
    );
    expect(crossChecks.map((c) => c.result)).toEqual(Array(10).fill("ok"));

    // close() leaves nothing that keeps a process alive: each exits on its own.
    await Promise.all(group.map((w) => w.send("close")));
    const codes = await Promise.race([
      Promise.all(group.map((w) => w.exited)),
      new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), 10_000).unref()),
    ]);
    expect(codes).toEqual(Array(10).fill(0));
  }, 240_000); // 10 processes loading tsx and sessionkit at once: minutes of CPU on a busy 2-core machine

  describe("revocation heard across processes", () => {
    let db: TestDb;
    let a: Instance;
    let watchers: Worker[];
    const delays: number[] = [];
    const channel = uniqueChannel();

    beforeAll(async () => {
      db = await createTestDb("postgres");
      a = openInstance(db, "parent", { revocation: "notify", notifyChannel: channel, antiCsrf: "none" });
      watchers = spawnWorkers(3, { SCHEMA: db.schema as string, CHANNEL: channel });
      await Promise.all(watchers.map((w) => w.ready));
      const probe = new Headers();
      await a.sessions.createNewSession({ userId: "probe" }, probe);
      const cookie = probe
        .getSetCookie()
        .map((l) => l.split(";")[0])
        .join("; ");
      await Promise.all([waitLive(a, requestFrom(probe)), ...watchers.map((w) => w.send("waitLive", { cookie }))]);
    }, 120_000);
    afterAll(async () => {
      await Promise.all(watchers.map((w) => w.send("close").catch(() => {})));
      await a?.close();
      await db?.close();
      if (delays.length > 0)
        console.log("[postgres] revocation delay parent → child processes after revokeSession returned (ms):", summary(delays));
    });

    it("a revocation in this process is refused by three other processes within 100 ms (p95), at zero queries", async () => {
      for (let round = 0; round < 20; round++) {
        const headers = new Headers();
        const s = await a.sessions.createNewSession({ userId: `proc-${round}` }, headers);
        const cookie = headers
          .getSetCookie()
          .map((l) => l.split(";")[0])
          .join("; ");
        type Seen = { at: number; accepted: number; queries: number; result: string };
        let acked = 0;
        let allWatching = () => {};
        const watching = new Promise<void>((resolve) => {
          allWatching = resolve;
        });
        const done = Promise.all(
          watchers.map((w) => w.send<Seen>("watch", { cookie }, () => ++acked === watchers.length && allWatching())),
        );
        await watching;
        await a.sessions.revokeSession(s.getHandle());
        const returned = wallNow();
        const results = await done;
        for (const r of results) {
          expect(r.result).toBe("UNAUTHORISED");
          expect(r.queries).toBe(0);
          // Every sample within 500 ms, the 95th percentile within the promised 100 ms (see
          // revocation.test.ts: single samples can stall on a busy machine).
          expect(r.at - returned).toBeLessThan(500);
          delays.push(Math.max(0, r.at - returned));
        }
      }
      expect(summary(delays).p95).toBeLessThan(100);
    }, 120_000);
  });
});
