import { describe, expect, test } from "bun:test";
import { uniqueTagNames } from "./tag-names";

describe("tag names", () => {
  test("tag names dedupe case-insensitively and keep the first spelling", () => {
    expect(uniqueTagNames(["Bike", " bike ", "", "run", "RUN", "Bike "])).toEqual(["Bike", "run"]);
  });
});
