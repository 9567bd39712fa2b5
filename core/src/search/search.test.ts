import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Client, createHarness, expectValidationError, type Harness, type Res } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

interface Hit {
  entry: { id: string; title: string; content: string };
  rank: number;
  highlights: { title: string; snippet: string };
}
type Page = Res<{ items: Hit[]; nextCursor: string | null; mode?: string }>;

const search = (u: Client, qs: string): Promise<Page> => u.get(`/v1/search?${qs}`);
const titles = async (u: Client, qs: string) => {
  const res = await search(u, qs);
  expect(res.status).toBe(200);
  return res.body.items.map((hit) => hit.entry.title);
};
const q = (text: string) => `q=${encodeURIComponent(text)}`;

/** Marks open and close in pairs, never nested, and are the only tags in the fragment. */
function expectWellFormed(html: string) {
  expect(html).not.toContain("\u0002");
  expect(html).not.toContain("\u0003");
  expect(html.replace(/<\/?mark>/g, "")).not.toMatch(/[<>]/);
  expect(html).toMatch(/^[^<]*(<mark>[^<]*<\/mark>[^<]*)*$/);
}

describe("keyword search", () => {
  test("the entry about the term ranks above one that mentions it in passing", async () => {
    const u = await h.user();
    // The strong match is written first, so newest-first order would put it last.
    const strong = await u.post("/v1/entries", {
      title: "Kayak maintenance",
      content: "Rinsed the kayak. The kayak hull needs wax; next kayak trip in May.",
    });
    await u.post("/v1/entries", { title: "Weekend", content: "Groceries, laundry, and a friend mentioned her kayak." });
    await u.post("/v1/entries", { title: "Unrelated", content: "Nothing to see here." });
    const res = await search(u, q("kayak"));
    expect(res.status).toBe(200);
    expect(res.body.items.map((hit) => hit.entry.title)).toEqual(["Kayak maintenance", "Weekend"]);
    const [first, second] = res.body.items as [Hit, Hit];
    expect(first.entry.id).toBe(strong.body.id);
    expect(first.rank).toBeGreaterThan(second.rank);
    expect(first.entry).toMatchObject({ title: "Kayak maintenance", content: strong.body.content, tags: [] });
    expect(res.body.nextCursor).toBeNull();
  });

  test('web-search syntax: "quoted phrases", -excluded words and OR', async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "one", content: "the red bicycle was fast" });
    await u.post("/v1/entries", { title: "two", content: "a red car and a bicycle" });
    await u.post("/v1/entries", { title: "three", content: "a blue bicycle" });
    const sorted = async (text: string) => (await titles(u, q(text))).sort();
    expect(await sorted("red bicycle")).toEqual(["one", "two"]);
    expect(await sorted('"red bicycle"')).toEqual(["one"]);
    expect(await sorted("bicycle -red")).toEqual(["three"]);
    expect(await sorted("bicycle -car")).toEqual(["one", "three"]);
    expect(await sorted("car OR blue")).toEqual(["three", "two"]);
    expect(await sorted("car blue")).toEqual([]);
  });

  test("words match by stem: servicing finds serviced", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "Serviced the bike", content: "New brake pads." });
    await u.post("/v1/entries", { title: "Washed the car" });
    expect(await titles(u, q("servicing"))).toEqual(["Serviced the bike"]);
    expect(await titles(u, q("SERVICES"))).toEqual(["Serviced the bike"]);
  });

  test("tag, topic and date filters combine with the query", async () => {
    const u = await h.user();
    const topic = (await u.post("/v1/topics", { name: "Car" })).body.id;
    const mk = (title: string, tags: string[], occurredAt: string, topicId?: string) =>
      u.post("/v1/entries", { title, content: "changed the oil", tags, occurredAt, topicId });
    await mk("jan car", ["car"], "2025-01-10T00:00:00Z", topic);
    await mk("feb bike", ["bike"], "2025-02-10T00:00:00Z");
    await mk("mar car", ["car", "diy"], "2025-03-10T00:00:00Z", topic);
    // Passes every filter below but does not match the query.
    await u.post("/v1/entries", {
      title: "tyres",
      content: "rotated them",
      tags: ["car", "diy"],
      topicId: topic,
      occurredAt: "2025-03-11T00:00:00Z",
    });
    const sorted = async (qs: string) => (await titles(u, `q=oil&${qs}`)).sort();
    expect(await sorted("")).toEqual(["feb bike", "jan car", "mar car"]);
    expect(await sorted("tag=car")).toEqual(["jan car", "mar car"]);
    expect(await sorted("tag=car&tag=DIY")).toEqual(["mar car"]);
    expect(await sorted("tag=car,diy")).toEqual(["mar car"]);
    expect(await sorted(`topicId=${topic}`)).toEqual(["jan car", "mar car"]);
    expect(await sorted("from=2025-02-01T00:00:00Z&to=2025-03-10T00:00:00Z")).toEqual(["feb bike", "mar car"]);
    expect(await sorted(`tag=car&topicId=${topic}&from=2025-02-01T00:00:00Z&to=2025-12-31T00:00:00Z`)).toEqual(["mar car"]);
    expect(await sorted("tag=nosuchtag")).toEqual([]);
    expect(await titles(u, `q=tyres&tag=car&topicId=${topic}`)).toEqual(["tyres"]);
  });

  test("pages follow the cursor to the end with no duplicates and no gaps, even as entries are added", async () => {
    const u = await h.user();
    // Several entries share a rank, so the id tie-breaker is exercised too.
    const mentions = [1, 3, 1, 2, 1, 4, 2];
    const made: string[] = [];
    for (const [i, n] of mentions.entries()) {
      made.push((await u.post("/v1/entries", { title: `entry ${i}`, content: `${"lantern ".repeat(n)}and other words` })).body.id);
    }
    const whole = await search(u, "q=lantern&limit=100");
    expect(whole.body.items.map((hit) => hit.entry.id).sort()).toEqual([...made].sort());
    const seen: Hit[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res: Page = await search(u, `q=lantern&limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
      pages++;
      // A new weak match arrives between pages; it must not push the remaining ones around.
      await u.post("/v1/entries", { title: `late ${pages}`, content: "lantern" });
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    const original = seen.filter((hit) => made.includes(hit.entry.id));
    expect(original.map((hit) => hit.entry.id)).toEqual(whole.body.items.map((hit) => hit.entry.id));
    expect(new Set(seen.map((hit) => hit.entry.id)).size).toBe(seen.length);
    const ranks = seen.map((hit) => hit.rank);
    expect(ranks).toEqual([...ranks].sort((x, y) => y - x));
    expect(ranks[0]).toBeGreaterThan(ranks[ranks.length - 1] as number);
  });

  test("a query of stop words only is an empty page, not an error", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "The and of", content: "the the the" });
    for (const text of ["the", "the and of", '"to be or not to be"']) {
      const res = await search(u, q(text));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ items: [], nextCursor: null, mode: "keyword" });
    }
  });

  test("an empty query, a bad cursor and unknown options are 400 envelopes", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "lantern" });
    await u.post("/v1/entries", { title: "lantern again" });
    const entriesCursor = (await u.get("/v1/entries?limit=1")).body.nextCursor;
    expect(entriesCursor).toEqual(expect.any(String));
    const forged = (v: string, id: string) => Buffer.from(JSON.stringify([v, id])).toString("base64url");
    for (const qs of [
      "",
      "q=",
      "q=%20%20%20",
      `q=${"a".repeat(501)}`,
      "q=a%00b",
      "q=lantern&cursor=bogus",
      `q=lantern&cursor=${entriesCursor}`, // a list cursor is not a search cursor
      `q=lantern&cursor=${forged("1e999", crypto.randomUUID())}`,
      `q=lantern&cursor=${forged("0.5", "not-a-uuid")}`,
      "q=lantern&limit=0",
      "q=lantern&limit=101",
      "q=lantern&mode=fuzzy",
      "q=lantern&topicId=nope",
      "q=lantern&from=yesterday",
    ]) {
      expectValidationError(await search(u, qs));
    }
    const first = await search(u, "q=lantern&limit=1");
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect((await search(u, `q=lantern&limit=1&cursor=${first.body.nextCursor}`)).body.items).toHaveLength(1);
  });

  test("trashed entries are not found until restored; purged ones never again", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/entries", { title: "Zeppelin ride" });
    expect(await titles(u, "q=zeppelin")).toEqual(["Zeppelin ride"]);
    await u.del(`/v1/entries/${body.id}`);
    expect(await titles(u, "q=zeppelin")).toEqual([]);
    await u.post(`/v1/entries/${body.id}/restore`);
    expect(await titles(u, "q=zeppelin")).toEqual(["Zeppelin ride"]);
    await u.del(`/v1/entries/${body.id}?purge=true`);
    expect(await titles(u, "q=zeppelin")).toEqual([]);
  });

  test("highlights mark the matches and return the user's HTML escaped", async () => {
    const u = await h.user();
    await u.post("/v1/entries", {
      title: "Oil <b>change</b> & filter",
      content: "Before: <script>alert('x')</script> then I changed the oil, checked x<y and y>z, and the \"oil\" light went off.",
    });
    const [hit] = (await search(u, "q=oil")).body.items;
    expect(hit?.highlights.title).toBe("<mark>Oil</mark> &lt;b&gt;change&lt;/b&gt; &amp; filter");
    const snippet = hit?.highlights.snippet ?? "";
    expect(snippet).toContain("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;");
    expect(snippet).toContain("changed the <mark>oil</mark>");
    expect(snippet).toContain("x&lt;y and y&gt;z"); // not mistaken for a tag and dropped
    expect(snippet).toContain("&quot;<mark>oil</mark>&quot;");
    expect(snippet).not.toContain("<script");
    expectWellFormed(hit?.highlights.title ?? "");
    expectWellFormed(snippet);
  });

  test("the highlight sentinels typed by a user never turn into marks", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "\u0003Lamp\u0002 post", content: "\u0002not a match\u0003 but the lamp\u0004 is\u0005\u0002" });
    const [hit] = (await search(u, "q=lamp")).body.items;
    expect(hit?.highlights.title).toBe("<mark>Lamp</mark> post");
    const snippet = hit?.highlights.snippet ?? "";
    expect(snippet).toContain("match but the <mark>lamp</mark>");
    expect(snippet.match(/<mark>/g)).toHaveLength(1);
    expect(snippet).not.toMatch(/&lt;|&gt;/); // nor into stray angle brackets
    expectWellFormed(snippet);
  });

  test("a 1 MiB entry is found by a word near its start", async () => {
    const u = await h.user();
    // Varied filler: a repeated word would make a tiny index and hide an oversized one.
    let filler = "";
    for (let i = 0; filler.length < 1024 * 1024; i++) filler += `w${(i * 7919).toString(36)} `;
    const content = `Intro: the aardvark appears early. ${filler}`.slice(0, 1024 * 1024);
    const made = await u.post("/v1/entries", { title: "big one", content });
    expect(made.status).toBe(201);
    await u.post("/v1/entries", { title: "small one", content: "no animals" });
    const res = await search(u, "q=aardvark");
    expect(res.status).toBe(200);
    expect(res.body.items.map((hit) => hit.entry.id)).toEqual([made.body.id]);
    expect(res.body.items[0]?.entry.content).toHaveLength(1024 * 1024);
    expect(res.body.items[0]?.highlights.snippet).toContain("the <mark>aardvark</mark> appears");
  });

  test("another user's entries never show in search", async () => {
    const a = await h.user();
    const b = await h.user();
    await a.post("/v1/entries", { title: "Confidential plan", content: "confidential confidential", tags: ["work"] });
    const bEntry = (await b.post("/v1/entries", { title: "My confidential note", tags: ["work"] })).body.id;
    for (const qs of ["q=confidential", "q=plan", "q=confidential&tag=work", "q=confidential%20OR%20plan"]) {
      const res = await search(b, qs);
      expect(res.status).toBe(200);
      expect(res.body.items.every((hit) => hit.entry.id === bEntry)).toBe(true);
    }
    expect((await search(b, "q=confidential")).body.items.map((hit) => hit.entry.id)).toEqual([bEntry]);
    expect(await titles(a, "q=confidential")).toEqual(["Confidential plan"]);
  });

  test("API keys need search:read", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "lantern" });
    const keyWith = async (scopes: string[]) => u.withToken((await u.post("/v1/api-keys", { name: "k", scopes })).body.key);
    const denied = await (await keyWith(["entries:read"])).get("/v1/search?q=lantern");
    expect(denied.status).toBe(403);
    expect(denied.body.error.code).toBe("FORBIDDEN");
    expect(await titles(await keyWith(["search:read"]), "q=lantern")).toEqual(["lantern"]);
  });
});
