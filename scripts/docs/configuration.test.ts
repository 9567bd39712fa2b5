import { describe, expect, test } from "bun:test";
import { z } from "zod";
import { CONFIGURATION_DOC, renderConfiguration, rowsOf } from "./configuration";

describe("docs/configuration.md", () => {
  test("is what the env schemas generate (run npm run docs:config after changing one)", async () => {
    expect(await Bun.file(CONFIGURATION_DOC).text()).toBe(renderConfiguration());
  });

  test("takes defaults from the schema and refuses a variable without a description", () => {
    const schema = z.object({
      PORT: z.coerce.number().default(8080).meta({ description: "listen port" }),
      URL: z.string().optional().meta({ description: "where", defaultText: "unset → nowhere" }),
      LIST: z.string().optional().meta({ description: "a list" }),
    });
    expect(rowsOf(schema)).toEqual([
      { name: "PORT", default: "`8080`", meaning: "listen port" },
      { name: "URL", default: "unset → nowhere", meaning: "where" },
      { name: "LIST", default: "none", meaning: "a list" },
    ]);
    expect(() => rowsOf(z.object({ SECRET: z.string().optional() }))).toThrow("SECRET has no .meta({ description })");
  });
});
