import { describe, expect, test } from "bun:test";
import postgres from "postgres";
import { lookupFolding } from "unicode-case-folding";
import { createHarness, serviceEnv } from "../../test/harness";
import { displayName, nameKey } from "./name-key";

describe("name keys", () => {
  test("one key for every spelling of a name", () => {
    const same = [
      ["ΟΔΟΣ", "οδος", "οδοσ", "Οδος"],
      ["İstanbul", "İSTANBUL", "i\u0307stanbul"],
      ["Straße", "STRASSE", "strasse", "STRAẞE"],
      ["Café", "Cafe\u0301", "CAFÉ", "CAFE\u0301"],
      ["ǰ", "J\u030C"],
    ];
    for (const group of same) expect(new Set(group.map(nameKey))).toEqual(new Set([nameKey(group[0] as string)]));
    // The default folding, not Turkish: dotless and plain i stay apart from the dotted capital.
    expect(nameKey("istanbul")).not.toBe(nameKey("İstanbul"));
    expect(nameKey("  Bike\t")).toBe("bike");
    expect(displayName(" Cafe\u0301 ")).toBe("Café");
  });

  test("the migration's SQL twin computes the same key for every folding code point", async () => {
    // The harness runs the migrations (which create tcc_name_key) once per process.
    const h = await createHarness();
    const sql = postgres(serviceEnv().DATABASE_URL as string, { max: 1, onnotice: () => {} });
    try {
      const samples: string[] = ["ΟΔΟΣ", "İstanbul", "STRAẞE", "CAFE\u0301", "Ǆemal", "ﬃ", "ᾼ", "\u0345", "ΐ"];
      for (let cp = 0; cp <= 0x1ffff; cp++) {
        if (cp >= 0xd800 && cp <= 0xdfff) continue;
        const c = String.fromCodePoint(cp);
        // Everything that folds, and everything that decomposes into something that might.
        if (lookupFolding(cp) || c.normalize("NFD") !== c) samples.push(`a${c}B`);
      }
      expect(samples.length).toBeGreaterThan(2000);
      const rows = await sql<
        { key: string }[]
      >`select tcc_name_key(s) as key from unnest(${samples}::text[]) with ordinality as u(s, n) order by n`;
      const mismatches = samples.filter((s, i) => rows[i]?.key !== nameKey(s));
      expect(mismatches).toEqual([]);
    } finally {
      await sql.end();
      await h.close();
    }
  });
});
