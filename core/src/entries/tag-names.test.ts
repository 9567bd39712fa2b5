import { describe, expect, test } from "bun:test";
import { uniqueTagNames } from "./tag-names";

describe("tag names", () => {
  test("tag names dedupe by key, keep the first spelling, and come sorted by key", () => {
    expect(uniqueTagNames(["run", "Bike", " bike ", "", "RUN", "Bike ", "Straße", "STRASSE"]).map((t) => t.name)).toEqual([
      "Bike",
      "run",
      "Straße",
    ]);
  });

  test("the order is by code point, so astral characters sort after every BMP one", () => {
    // UTF-16 order would put the surrogate pair (U+1F6B2) before U+FF41.
    expect(uniqueTagNames(["\u{1F6B2}", "\uFF41"]).map((t) => t.key)).toEqual(["\uFF41", "\u{1F6B2}"]);
  });
});
