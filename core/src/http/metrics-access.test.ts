import { afterAll, describe, expect, test } from "bun:test";
import { createHarness, type Harness } from "../../test/harness";

const TOKEN = "scraper-token-0123456789";
const harnesses: Harness[] = [];
afterAll(() => Promise.all(harnesses.map((h) => h.close())));
async function harness(env: Record<string, string>) {
  const h = await createHarness(env);
  harnesses.push(h);
  return h;
}

describe("/metrics access", () => {
  test("in production without METRICS_TOKEN it is 404, like a route that does not exist", async () => {
    const h = await harness({ NODE_ENV: "production" });
    const res = await h.anon.get("/metrics");
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe("NOT_FOUND");
    expect(JSON.stringify(res.body)).not.toContain("tcc_");
  });

  test("with METRICS_TOKEN only that bearer token gets the metrics", async () => {
    const h = await harness({ NODE_ENV: "production", METRICS_TOKEN: TOKEN });
    expect((await h.anon.get("/metrics")).status).toBe(404);
    expect((await h.anon.get("/metrics", { authorization: "Bearer wrong-token-0123456789" })).status).toBe(404);
    expect((await h.anon.get("/metrics", { authorization: `Bearer ${TOKEN}x` })).status).toBe(404);
    const ok = await h.anon.get("/metrics", { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(String(ok.body)).toContain("tcc_requests_total");
  });

  test("outside production without a token it stays open for development", async () => {
    const h = await harness({ NODE_ENV: "development" });
    const res = await h.anon.get("/metrics");
    expect(res.status).toBe(200);
    expect(String(res.body)).toContain("tcc_requests_total");
  });

  test("a token shorter than 16 characters is refused at start-up", async () => {
    await expect(createHarness({ METRICS_TOKEN: "short" })).rejects.toThrow("METRICS_TOKEN");
  });
});
