import { describe, expect, test } from "bun:test";
import { MemoryKV } from "./kv";
import { RequestLoad, RequestRate, yieldToRequests } from "./request-rate";

/** A clock moved by hand, and a sleep that moves it. */
function fakeTime() {
  const clock = { now: 0 };
  const sleep = async (ms: number) => {
    clock.now += ms;
  };
  return { clock, now: () => clock.now, sleep };
}

describe("request rate", () => {
  test("counts a burst within its first bucket, keeps the last full bucket, and forgets after two quiet buckets", () => {
    const { clock, now } = fakeTime();
    const rate = new RequestRate(now, 250);
    expect(rate.perSecond()).toBe(0);
    clock.now = 1_000;
    for (let i = 0; i < 50; i++) rate.note();
    expect(rate.perSecond()).toBe(200);
    clock.now = 1_300; // the next bucket: the full one before counts
    rate.note();
    expect(rate.perSecond()).toBe(200);
    clock.now = 1_800; // two buckets without a request
    expect(rate.perSecond()).toBe(0);
  });
});

describe("request load", () => {
  test("a busy process marks the shared store, and another process sharing it sees the mark until it expires", async () => {
    const kv = new MemoryKV();
    const { clock, now } = fakeTime();
    const api = new RequestLoad(kv, "q:busy", 100, now);
    const worker = new RequestLoad(kv, "q:busy", 100, () => 0);
    clock.now = 1_000;
    for (let i = 0; i < 20; i++) api.note(); // 80 requests/s: not busy
    expect(await api.busy()).toBe(false);
    expect(await worker.busy()).toBe(false);
    for (let i = 0; i < 20; i++) api.note(); // 160/s
    expect(await api.busy()).toBe(true);
    expect(await worker.busy()).toBe(true);
    await kv.del(["q:busy"]); // as if its second had passed
    expect(await worker.busy()).toBe(false);
  });

  test("a threshold of 0 neither marks nor waits", async () => {
    const kv = new MemoryKV();
    const load = new RequestLoad(kv, "q:busy", 0);
    for (let i = 0; i < 1_000; i++) load.note();
    expect(await kv.get("q:busy")).toBeNull();
    expect(await load.busy()).toBe(false);
  });
});

describe("yieldToRequests", () => {
  test("waits while requests press, up to the longest wait, then lets the work run", async () => {
    const { now, sleep } = fakeTime();
    expect(await yieldToRequests({ busy: async () => true }, { maxWaitMs: 1_000 }, sleep)).toBe(1_000);
    expect(now()).toBe(1_000);
  });

  test("stops waiting as soon as the requests ease off, and does not wait when quiet", async () => {
    const { clock, sleep } = fakeTime();
    expect(await yieldToRequests({ busy: async () => clock.now < 300 }, { maxWaitMs: 1_000 }, sleep)).toBe(300);
    expect(await yieldToRequests({ busy: async () => false }, { maxWaitMs: 1_000 }, sleep)).toBe(0);
  });
});
