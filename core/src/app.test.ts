import { afterAll, beforeAll, describe, expect, spyOn, test } from "bun:test";
import { createHarness, type Harness, type Res, uniqueEmail } from "../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const metricValue = (text: string, line: RegExp) => {
  const m = text.split("\n").find((l) => line.test(l));
  return m ? Number(m.split(" ").pop()) : 0;
};

describe("health, docs and metrics", () => {
  test("healthz is alive and readyz reports database, cache and replicas", async () => {
    expect((await h.anon.get("/healthz")).body).toEqual({ status: "ok" });
    const ready = await h.anon.get("/readyz");
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe("ok");
    expect(ready.body.checks.database).toEqual({ status: "ok", driver: "postgres" });
    expect(ready.body.checks.cache).toEqual({ status: "ok", kind: "redis" });
    expect(ready.body.checks.replicas.length).toBeGreaterThan(0);
    expect(ready.body.checks.replicas.every((r: { healthy: boolean }) => r.healthy)).toBe(true);
  });

  test("the OpenAPI 3.1 document lists the routes and the docs page serves", async () => {
    const doc = await h.anon.get("/openapi.json");
    expect(doc.body.openapi).toBe("3.1.0");
    for (const path of [
      "/v1/entries",
      "/v1/entries/{id}",
      "/v1/auth/login",
      "/v1/search",
      "/v1/tags",
      "/v1/topics",
      "/v1/links",
      "/v1/api-keys",
    ]) {
      expect(Object.keys(doc.body.paths)).toContain(path);
    }
    const docs = await h.anon.get("/docs");
    expect(docs.status).toBe(200);
    expect(String(docs.body)).toContain("/openapi.json");
  });

  test("metrics count requests by route template, never by raw path", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/entries", { title: "m" });
    await u.get(`/v1/entries/${body.id}`);
    const text = String((await h.anon.get("/metrics")).body);
    expect(text).toMatch(/tcc_requests_total\{method="GET",route="\/v1\/entries\/:id",status="200"\} \d+/);
    expect(text).toContain("tcc_request_duration_seconds_bucket");
    expect(text).not.toContain(body.id);
    expect(text).toContain("tcc_cache_requests_total");
    expect(text).toContain("tcc_db_replica_healthy");
    expect(text).toContain("process_cpu_user_seconds_total");
  });

  test("unknown routes get the error envelope and a request id", async () => {
    const u = await h.user();
    const res = await u.get("/v1/nope", { "x-request-id": "req-123" });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: "NOT_FOUND", requestId: "req-123" });
    expect(res.headers.get("x-request-id")).toBe("req-123");
  });

  test("security headers are set", async () => {
    const res = await h.anon.get("/healthz");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    expect(res.headers.get("strict-transport-security")).toContain("max-age");
  });
});

describe("CORS", () => {
  test("only configured origins get CORS headers, preflight included", async () => {
    const withCors = await createHarness({ CORS_ORIGINS: "https://app.example" });
    try {
      const preflight = await withCors.app.request("/v1/entries", {
        method: "OPTIONS",
        headers: {
          origin: "https://app.example",
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization,content-type",
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get("access-control-allow-origin")).toBe("https://app.example");
      expect(preflight.headers.get("access-control-allow-headers")?.toLowerCase()).toContain("authorization");
      const other = await withCors.app.request("/healthz", { headers: { origin: "https://evil.example" } });
      expect(other.headers.get("access-control-allow-origin")).toBeNull();
      // Without configuration there is no CORS at all.
      expect(
        (await h.app.request("/healthz", { headers: { origin: "https://app.example" } })).headers.get("access-control-allow-origin"),
      ).toBeNull();
    } finally {
      await withCors.close();
    }
  });
});

describe("compression", () => {
  test("large JSON is gzipped for clients that accept it, and byte-identical after decoding", async () => {
    const u = await h.user();
    for (let i = 0; i < 5; i++) await u.post("/v1/entries", { title: `entry ${i}`, content: "some words to repeat ".repeat(40) });
    const auth = { authorization: `Bearer ${u.token}` };
    const plain = await h.app.request("/v1/entries", { headers: auth });
    const gz = await h.app.request("/v1/entries", { headers: { ...auth, "accept-encoding": "gzip, br" } });
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(gz.headers.get("content-encoding")).toBe("gzip");
    expect(gz.headers.get("vary")).toContain("Accept-Encoding");
    const zipped = new Uint8Array(await gz.arrayBuffer());
    const text = await plain.text();
    expect(zipped.byteLength).toBeLessThan(text.length / 4);
    expect(new TextDecoder().decode(Bun.gunzipSync(zipped))).toBe(text);
    // Small JSON bodies are not worth it, and arrive intact.
    const me = await h.app.request("/v1/auth/me", { headers: { ...auth, "accept-encoding": "gzip" } });
    expect(me.headers.get("content-encoding")).toBeNull();
    expect(((await me.json()) as { id: string }).id).toBe(u.info.id);
    const small = await h.app.request("/healthz", { headers: { "accept-encoding": "gzip" } });
    expect(small.headers.get("content-encoding")).toBeNull();
  });
});

describe("compression of cached reads", () => {
  test("a cached page is gzipped once, not on every read, and a write's new page is gzipped anew", async () => {
    const u = await h.user();
    for (let i = 0; i < 5; i++) await u.post("/v1/entries", { title: `entry ${i}`, content: "words worth compressing ".repeat(40) });
    const auth = { authorization: `Bearer ${u.token}`, "accept-encoding": "gzip" };
    const read = async () => {
      const res = await h.app.request("/v1/entries", { headers: auth });
      expect(res.headers.get("content-encoding")).toBe("gzip");
      return JSON.parse(new TextDecoder().decode(Bun.gunzipSync(new Uint8Array(await res.arrayBuffer())))) as {
        items: { title: string }[];
      };
    };
    const gzip = spyOn(Bun, "gzipSync");
    try {
      // The first read loads and caches the page, the next three are cache hits of that value.
      for (let i = 0; i < 4; i++) expect((await read()).items).toHaveLength(5);
      expect(gzip).toHaveBeenCalledTimes(1);
      await u.post("/v1/entries", { title: "entry 5", content: "a new page" });
      expect((await read()).items[0]?.title).toBe("entry 5");
      expect((await read()).items).toHaveLength(6);
      expect(gzip).toHaveBeenCalledTimes(2);
    } finally {
      gzip.mockRestore();
    }
  });
});

describe("cache", () => {
  test("a repeated read is a cache hit and a write invalidates it", async () => {
    const u = await h.user();
    const { body } = await u.post("/v1/entries", { title: "v1" });
    const hits = async () =>
      metricValue(String((await h.anon.get("/metrics")).body), /^tcc_cache_requests_total\{cache="entry",result="hit"\}/);
    await u.get(`/v1/entries/${body.id}`);
    const before = await hits();
    expect((await u.get(`/v1/entries/${body.id}`)).body.title).toBe("v1");
    expect(await hits()).toBe(before + 1);
    await u.patch(`/v1/entries/${body.id}`, { title: "v2" });
    expect((await u.get(`/v1/entries/${body.id}`)).body.title).toBe("v2");
    expect((await u.get("/v1/entries")).body.items[0].title).toBe("v2");
  });

  test("a write through one core process is seen at once by another that cached the read", async () => {
    // A second pod sharing Postgres, Redis and (as every pod must) the signing key.
    const key = await Bun.file(`${h.services.env.DATA_DIR}/keys/jwt-ed25519.jwk.json`).text();
    const other = await createHarness({ JWT_PRIVATE_KEY: key });
    try {
      const u = await h.user();
      const { body } = await u.post("/v1/entries", { title: "pod A" });
      const onB = other.anon.withToken(u.token);
      // B never saw the write, yet reads it from the primary: A's recent-write mark is in Redis.
      expect((await onB.get(`/v1/entries/${body.id}`)).body.title).toBe("pod A"); // cached by B
      expect((await onB.get(`/v1/entries/${body.id}`)).body.title).toBe("pod A"); // served from B's memory
      await u.patch(`/v1/entries/${body.id}`, { title: "changed on A" });
      expect((await onB.get(`/v1/entries/${body.id}`)).body.title).toBe("changed on A");
    } finally {
      await other.close();
    }
  });

  test("tag counts follow entry writes", async () => {
    const u = await h.user();
    await u.post("/v1/entries", { title: "a", tags: ["x"] });
    expect((await u.get("/v1/tags")).body.items[0].entryCount).toBe(1);
    const { body } = await u.post("/v1/entries", { title: "b", tags: ["x"] });
    expect((await u.get("/v1/tags")).body.items[0].entryCount).toBe(2);
    await u.del(`/v1/entries/${body.id}`);
    expect((await u.get("/v1/tags")).body.items[0].entryCount).toBe(1);
  });
});

describe("rate limits", () => {
  test("per-user limit answers 429 with Retry-After and RateLimit headers", async () => {
    const strict = await createHarness({ RATE_LIMIT_USER_PER_MIN: "3" });
    try {
      const u = await strict.user();
      const statuses: number[] = [];
      let last: Res | undefined;
      for (let i = 0; i < 4; i++) {
        last = await u.get("/v1/entries");
        statuses.push(last.status);
      }
      expect(statuses).toEqual([200, 200, 200, 429]);
      expect(last?.body.error.code).toBe("RATE_LIMITED");
      expect(Number(last?.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(last?.headers.get("ratelimit-remaining")).toBe("0");
      // Another user has their own budget.
      expect((await (await strict.user()).get("/v1/entries")).status).toBe(200);
    } finally {
      await strict.close();
    }
  });

  test("the per-IP limit covers authenticated routes, and bad tokens spend it too", async () => {
    const strict = await createHarness({ RATE_LIMIT_IP_PER_MIN: "4", TRUST_PROXY: "true" });
    try {
      const u = await strict.user(); // registering is an auth route: its own budget
      const from = { "x-forwarded-for": `203.0.113.${Math.floor(Math.random() * 250)}-${Date.now()}` };
      expect((await u.get("/v1/entries", from)).status).toBe(200);
      expect((await u.get("/v1/entries", from)).status).toBe(200);
      for (let i = 0; i < 2; i++) expect((await strict.anon.withToken("forged").get("/v1/entries", from)).status).toBe(401);
      const refused = await u.get("/v1/entries", from);
      expect(refused.status).toBe(429);
      expect(refused.body.error.details).toEqual({ scope: "ip" });
      expect((await strict.anon.withToken("forged").get("/v1/entries", from)).status).toBe(429);
    } finally {
      await strict.close();
    }
  });

  test("auth routes have a stricter per-IP budget", async () => {
    const strict = await createHarness({ RATE_LIMIT_AUTH_PER_MIN: "2", TRUST_PROXY: "true" });
    try {
      // A fresh client address per run: limits live in Redis and outlast a single run.
      const ip = `198.51.100.${Math.floor(Math.random() * 250)}-${Date.now()}`;
      const login = (from: string, i: number) =>
        strict.anon.post("/v1/auth/login", { email: uniqueEmail(`x${i}`), password: "whatever" }, { "x-forwarded-for": from });
      const tries = [];
      for (let i = 0; i < 3; i++) tries.push((await login(ip, i)).status);
      expect(tries).toEqual([401, 401, 429]);
      // Another address is unaffected.
      expect((await login(`${ip}-other`, 9)).status).toBe(401);
    } finally {
      await strict.close();
    }
  });
});
