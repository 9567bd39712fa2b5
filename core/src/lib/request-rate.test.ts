import { describe, expect, test } from "bun:test";
import { RequestRate, yieldToRequests } from "./request-rate";

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

describe("yieldToRequests", () => {
  test("waits while the rate is above the threshold, up to the longest wait, then lets the work run", async () => {
    const { now, sleep } = fakeTime();
    const busy = { perSecond: () => 1_000 } as unknown as RequestRate;
    expect(await yieldToRequests(busy, { aboveRps: 200, maxWaitMs: 1_000 }, sleep)).toBe(1_000);
    expect(now()).toBe(1_000);
  });

  test("stops waiting as soon as the requests ease off", async () => {
    const { clock, sleep } = fakeTime();
    const easing = { perSecond: () => (clock.now < 300 ? 1_000 : 10) } as unknown as RequestRate;
    expect(await yieldToRequests(easing, { aboveRps: 200, maxWaitMs: 1_000 }, sleep)).toBe(300);
  });

  test("a quiet process, or a threshold of 0, does not wait", async () => {
    const { sleep } = fakeTime();
    const quiet = { perSecond: () => 10 } as unknown as RequestRate;
    const busy = { perSecond: () => 1_000 } as unknown as RequestRate;
    expect(await yieldToRequests(quiet, { aboveRps: 200, maxWaitMs: 1_000 }, sleep)).toBe(0);
    expect(await yieldToRequests(busy, { aboveRps: 0, maxWaitMs: 1_000 }, sleep)).toBe(0);
  });
});
