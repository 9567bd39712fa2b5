import { describe, expect, test } from "bun:test";
import { decodeCursor, encodeCursor } from "./cursor";

describe("cursor encoding", () => {
  test("round-trips and is opaque", () => {
    const c = { v: "2025-01-01T00:00:00.123456Z", id: "0190a1b2-0000-7000-8000-000000000000" };
    const raw = encodeCursor(c);
    expect(raw).not.toContain("2025");
    expect(decodeCursor(raw)).toEqual(c);
  });

  test("anything else decodes to null", () => {
    for (const raw of [
      "",
      "bogus",
      Buffer.from("{}").toString("base64url"),
      Buffer.from('[1,"x"]').toString("base64url"),
      Buffer.from('["a","b","c"]').toString("base64url"),
    ]) {
      expect(decodeCursor(raw)).toBeNull();
    }
  });
});
