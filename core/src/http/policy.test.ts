import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHarness, type Harness } from "../../test/harness";

let h: Harness;
beforeAll(async () => {
  h = await createHarness();
});
afterAll(() => h.close());

const someId = "0190a1b2-0000-7000-8000-000000000000";
/** A documented path with its parameters filled in. */
const concrete = (path: string) => path.replace(/\{[^}]+\}/g, (p) => (p === "{slug}" ? "no-such-slug" : someId));

describe("route policy", () => {
  test("every /v1 route the OpenAPI document marks as needing a token refuses a request without one, and only those do", async () => {
    const doc = (await h.anon.get("/openapi.json")).body;
    const open: string[] = [];
    let guarded = 0;
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { security?: unknown[] }>>)) {
      if (!path.startsWith("/v1/")) continue;
      for (const [method, op] of Object.entries(ops)) {
        const res = await h.anon.request(method.toUpperCase(), concrete(path), method === "get" || method === "delete" ? undefined : {});
        if (op.security?.length) {
          expect([method, path, res.status]).toEqual([method, path, 401]);
          guarded++;
        } else {
          expect([method, path, res.status === 401]).toEqual([method, path, false]);
          open.push(`${method.toUpperCase()} ${path}`);
        }
      }
    }
    expect(guarded).toBeGreaterThan(40);
    expect(open.sort()).toEqual([
      "GET /v1/auth/oidc/providers",
      "GET /v1/auth/oidc/{provider}/callback", // the provider's state and code are the credential
      "GET /v1/public/exports/{id}", // a signed, expiring link is its own credential
      "GET /v1/public/files/{id}",
      "GET /v1/public/galleries/{slug}",
      "POST /v1/auth/login",
      "POST /v1/auth/login/mfa", // the MFA step's token is its credential
      "POST /v1/auth/oidc/link/confirm", // the pending link's token and the account's password
      "POST /v1/auth/oidc/{provider}/start",
      "POST /v1/auth/refresh",
      "POST /v1/auth/register",
    ]);
  });

  test("paths that match no route get the guard of their namespace before the 404, and one metrics label", async () => {
    expect((await h.anon.get("/v1/nope")).status).toBe(401);
    expect((await h.anon.get("/v1/public/nope")).status).toBe(404);
    expect((await h.anon.get("/g/a/b")).status).toBe(404);
    const u = await h.user();
    expect((await u.get("/v1/nope")).status).toBe(404);
    const text = String((await h.anon.get("/metrics")).body);
    expect(text).toMatch(/tcc_requests_total\{method="GET",route="\/v1\/\*",status="401"\} \d+/);
    expect(text).toMatch(/tcc_requests_total\{method="GET",route="\/v1\/\*",status="404"\} \d+/);
    expect(text).toMatch(/tcc_requests_total\{method="GET",route="\/g\/\*",status="404"\} \d+/);
  });

  test("an oversized JSON body is refused before authentication on any /v1 path, an upload only above MAX_FILE_BYTES", async () => {
    const big = JSON.stringify({ title: "x".repeat(h.services.env.MAX_BODY_BYTES) });
    expect((await h.anon.request("POST", "/v1/entries", big)).status).toBe(413);
    expect((await h.anon.request("POST", "/v1/nope", big)).status).toBe(413);
    // Uploads are metered by the route: a body over MAX_BODY_BYTES passes the guard (here it then needs a token).
    const res = await h.anon.request("PUT", "/v1/files?name=a.txt", "x".repeat(h.services.env.MAX_BODY_BYTES + 1), {
      "content-type": "text/plain",
    });
    expect(res.status).toBe(401);
  });
});
