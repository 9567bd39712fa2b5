import { describe, expect, test } from "bun:test";
import { parseEnv } from "./env";

describe("env", () => {
  test("env: defaults for the embedded mode, a bad variable names itself", () => {
    const env = parseEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.PORT).toBe(8080);
    expect(env.EMBEDDING_DIMS).toBe(768);
    expect(parseEnv({ DATABASE_REPLICA_URLS: "postgres://a/x, postgres://b/x" }).DATABASE_REPLICA_URLS).toEqual([
      "postgres://a/x",
      "postgres://b/x",
    ]);
    expect(() => parseEnv({ PORT: "eighty" })).toThrow(/PORT/);
  });
});
