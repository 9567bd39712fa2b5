import { describe, expect, test } from "bun:test";
import { RecentWriters } from "./sticky";

describe("read-your-writes window", () => {
  test("a writer sticks to the primary only within the window", () => {
    let now = 0;
    const w = new RecentWriters(1000, () => now);
    w.mark("u1");
    expect(w.isRecent("u1")).toBe(true);
    expect(w.isRecent("u2")).toBe(false);
    now = 1000;
    expect(w.isRecent("u1")).toBe(false);
  });
});
