import { describe, expect, test } from "bun:test";
import { inInstantRange, isCursorTimestamp } from "./timestamps";

describe("timestamps", () => {
  test("cursor timestamps are real UTC instants of years 1 to 9999, as Postgres prints them", () => {
    for (const ok of [
      "2026-02-28T23:59:59.999999Z",
      "2024-02-29T00:00:00.000000Z",
      "0001-01-01T00:00:00.000000Z",
      "0050-06-15T12:00:00.000000Z",
    ])
      expect(isCursorTimestamp(ok)).toBe(true);
    for (const bad of [
      "0000-01-01T00:00:00.000000Z",
      "2026-02-29T00:00:00.000000Z",
      "2026-00-10T00:00:00.000000Z",
      "2026-01-01T24:00:00.000000Z",
      "2026-01-01T00:60:00.000000Z",
      "2026-01-01T00:00:00.000Z",
      "+10000-01-01T00:00:00.000000Z",
    ])
      expect(isCursorTimestamp(bad)).toBe(false);
  });

  test("input instants are years 100 to 9999 in UTC", () => {
    expect(inInstantRange(Date.parse("0100-01-01T00:00:00Z"))).toBe(true);
    expect(inInstantRange(Date.parse("9999-12-31T23:59:59.999Z"))).toBe(true);
    expect(inInstantRange(Date.parse("0099-12-31T23:59:59.999Z"))).toBe(false);
    expect(inInstantRange(Date.parse("9999-12-31T23:59:59-00:01"))).toBe(false);
    expect(inInstantRange(Number.NaN)).toBe(false);
  });
});
