import { describe, expect, test } from "bun:test";
import { SeparateGate } from "./gate";
import { MemoryKV } from "./kv";
import { MemoryRateLimiter } from "./rate-limit";

describe("request gate without Redis", () => {
  test("a request refused by the IP limit does not spend the user's budget", async () => {
    const gate = new SeparateGate(new MemoryRateLimiter(), new MemoryKV());
    const input = {
      ipKey: "ip",
      ipRule: { limit: 1, periodMs: 60_000 },
      userKey: "u",
      userRule: { limit: 2, periodMs: 60_000 },
      writeKey: "w",
      versionKey: "v",
    };
    expect((await gate.check(input)).user?.remaining).toBe(1);
    const refused = await gate.check(input);
    expect(refused.ip.allowed).toBe(false);
    expect(refused.user).toBeNull();
    const other = await gate.check({ ...input, ipKey: "ip2" });
    expect(other.user?.remaining).toBe(0); // only the first request was charged to the user
  });

  test("reports revocation and recent writes from the key-value store", async () => {
    const kv = new MemoryKV();
    const gate = new SeparateGate(new MemoryRateLimiter(), kv);
    const input = {
      ipKey: "ip",
      ipRule: { limit: 9, periodMs: 60_000 },
      userKey: "u",
      userRule: { limit: 9, periodMs: 60_000 },
      writeKey: "w",
      versionKey: "v",
      denyKey: "d",
    };
    expect(await gate.check(input)).toMatchObject({ revoked: false, recentWrite: false });
    await kv.set("w", "1", 5);
    await kv.set("d", "1", 5);
    expect(await gate.check(input)).toMatchObject({ revoked: true, recentWrite: true });
  });
});
