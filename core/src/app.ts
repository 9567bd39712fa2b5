import { OpenAPIHono } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { registerAdmin } from "./accounts/admin.routes";
import { registerApiKeys } from "./accounts/api-keys.routes";
import { registerAuth } from "./accounts/auth.routes";
import { registerMe } from "./accounts/me.routes";
import { registerMfa } from "./accounts/mfa.routes";
import { registerOidc } from "./accounts/oidc.routes";
import { registerChat } from "./chat/chat.routes";
import { registerConversations } from "./chat/conversations.routes";
import type { Services } from "./context";
import { registerEntries } from "./entries/entries.routes";
import { registerLinks } from "./entries/links.routes";
import { registerTags } from "./entries/tags.routes";
import { registerTopics } from "./entries/topics.routes";
import { registerFiles } from "./files/files.routes";
import { registerGalleries } from "./galleries/galleries.routes";
import { registerGalleryPage } from "./galleries/gallery-page.routes";
import { notFoundHandler, onError, validationHook } from "./http/errors";
import { frame } from "./http/frame";
import { registerHealth } from "./http/health.routes";
import { pageGuard, unmatchedGuard } from "./http/policy";
import type { App, AppEnv } from "./http/types";
import { lazyModule } from "./lib/lazy-module";
import { registerConsents } from "./privacy/consents.routes";
import { registerErasure } from "./privacy/erasure.routes";
import { registerExport } from "./privacy/export.routes";
import { registerImport } from "./privacy/import.routes";
import { registerEmbeddings } from "./search/embeddings.routes";
import { registerSearch } from "./search/search.routes";
import { registerShared } from "./sharing/shared.routes";
import { registerShares } from "./sharing/shares.routes";

/** The API reference page's renderer, loaded by the first visit to /docs (see lib/lazy-module.ts). */
const docsPage = lazyModule(
  async (): Promise<MiddlewareHandler<AppEnv>> =>
    // Scalar's handler is typed for Hono's default env; it reads nothing of ours.
    (await import("@scalar/hono-api-reference")).Scalar({ url: "/openapi.json", pageTitle: "TCC Log API" }) as MiddlewareHandler,
);

export function createApp(services: Services): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const { env } = services;

  // Request id, services, security headers, gzip, metrics and the log line: one middleware.
  app.use(frame(services));
  if (env.CORS_ORIGINS.length) {
    app.use(
      cors({
        origin: env.CORS_ORIGINS,
        allowHeaders: ["Authorization", "Content-Type", "Idempotency-Key"],
        exposeHeaders: ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After", "X-Request-Id"],
        maxAge: 600,
      }),
    );
  }
  // Each route declares its own policy (http/policy.ts): token or not, budget, body checks.
  registerHealth(app);
  registerAuth(app);
  registerApiKeys(app);
  registerMe(app);
  registerMfa(app);
  registerAdmin(app);
  registerOidc(app);
  registerEntries(app);
  registerEmbeddings(app);
  registerTags(app);
  registerTopics(app);
  registerLinks(app);
  registerFiles(app);
  registerGalleries(app);
  registerGalleryPage(app);
  registerSearch(app);
  registerChat(app);
  registerConversations(app);
  registerShares(app);
  registerShared(app);
  registerConsents(app);
  registerExport(app);
  registerErasure(app);
  registerImport(app);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An access token from /v1/auth/login or an API key (tcc_…)",
  });
  app.doc31("/openapi.json", { openapi: "3.1.0", info: { title: "TCC Log API", version: "1.0.0" } });
  app.get("/docs", async (c, next) => (await docsPage())(c, next));

  // Requests that match no route end in a 404, after the guard a route there would have had.
  app.use("/v1/*", unmatchedGuard);
  app.use("/g/*", pageGuard);

  app.notFound(notFoundHandler);
  app.onError(onError);
  return app;
}
