import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const ids = (res: { body: { items: { id: string }[] } }) => res.body.items.map((e) => e.id).sort();
const tagList = async (u: Client) => (await u.get("/v1/tags")).body.items as { name: string; entryCount: number }[];

/**
 * Writes one entry per spelling, then checks that every entry carries the one tag (named as first
 * typed, in NFC), that the tag list has it once with every entry counted, and that filtering by
 * each spelling finds all of them.
 */
async function expectOneTag(u: Client, spellings: string[]) {
  const created: string[] = [];
  for (const [i, spelling] of spellings.entries()) {
    const res = await u.post("/v1/entries", { title: `entry ${i}`, tags: [spelling] });
    expect(res.status).toBe(201);
    expect(res.body.tags).toEqual([spellings[0]?.normalize("NFC")]);
    created.push(res.body.id);
  }
  for (const id of created) expect((await u.get(`/v1/entries/${id}`)).body.tags).toEqual([spellings[0]?.normalize("NFC")]);
  expect(await tagList(u)).toEqual([expect.objectContaining({ name: spellings[0]?.normalize("NFC"), entryCount: spellings.length })]);
  for (const spelling of spellings) {
    const res = await u.get(`/v1/entries?tag=${encodeURIComponent(spelling)}`);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([...created].sort());
  }
}

describe("tag names are compared by one key: NFC and Unicode full case folding", () => {
  test("Greek: capital, final and medial sigma are one tag", async () => {
    await expectOneTag(await h.user(), ["ΟΔΟΣ", "οδος", "οδοσ", "Οδος"]);
  });

  test("Turkish dotted capital I: İstanbul in any case is one tag", async () => {
    // İ folds to i + combining dot above (Unicode's default, not Turkish, folding).
    await expectOneTag(await h.user(), ["İstanbul", "İSTANBUL", "i\u0307stanbul"]);
  });

  test("German sharp s: ß, ẞ and ss are one tag", async () => {
    await expectOneTag(await h.user(), ["Straße", "STRASSE", "strasse", "STRAẞE"]);
  });

  test("combining and precomposed accents are one tag, stored precomposed", async () => {
    await expectOneTag(await h.user(), ["Cafe\u0301", "Café", "CAFÉ", "CAFE\u0301"]);
  });

  test("spellings that are one tag collapse within one entry too, first spelling kept", async () => {
    const u = await h.user();
    const res = await u.post("/v1/entries", { title: "twice", tags: ["ΟΔΟΣ", "οδος", "Straße", "strasse", "İstanbul"] });
    expect(res.status).toBe(201);
    expect([...res.body.tags].sort()).toEqual(["İstanbul", "Straße", "ΟΔΟΣ"].sort());
    const patched = await u.patch(`/v1/entries/${res.body.id}`, { tags: ["STRASSE", "strasse", "οδοσ"] });
    expect(patched.status).toBe(200);
    expect([...patched.body.tags].sort()).toEqual(["Straße", "ΟΔΟΣ"].sort());
  });

  test("renaming a tag onto another's spelling is a conflict; re-casing it is not", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "a", tags: ["Straße", "road"] });
    const road = (await tagList(u)).find((t) => t.name === "road") as unknown as { id: string };
    const clash = await u.patch(`/v1/tags/${road.id}`, { name: "STRASSE" });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe("CONFLICT");
    const street = (await tagList(u)).find((t) => t.name === "Straße") as unknown as { id: string };
    const recased = await u.patch(`/v1/tags/${street.id}`, { name: "STRASSE" });
    expect(recased.status).toBe(200);
    expect(recased.body.name).toBe("STRASSE");
  });

  test("topics use the same key: another spelling of a topic's name is a conflict", async () => {
    const u = await h.user();
    for (const [first, second] of [
      ["ΟΔΟΣ", "οδος"],
      ["Straße", "STRASSE"],
      ["Café", "cafe\u0301"],
      ["İzmir", "i\u0307zmir"],
    ]) {
      expect((await u.post("/v1/topics", { name: first })).status).toBe(201);
      const res = await u.post("/v1/topics", { name: second });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe("CONFLICT");
    }
    expect((await u.get("/v1/topics")).body.items).toHaveLength(4);
  });
});
