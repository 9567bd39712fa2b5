import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { registerApiKeys } from "./accounts/api-keys.routes";
import { registerAuth } from "./accounts/auth.routes";
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
import { bodyGuard } from "./http/body";
import { compressJson } from "./http/compress";
import { notFoundHandler, onError, validationHook } from "./http/errors";
import { registerHealth } from "./http/health.routes";
import { observe } from "./http/observe";
import { protect } from "./http/protect";
import { limitByIp } from "./http/rate-limit";
import type { App, AppEnv } from "./http/types";
import { registerEmbeddings } from "./search/embeddings.routes";
import { registerSearch } from "./search/search.routes";

/** Routes under /v1 that take no bearer token: these, and everything under /v1/public/ (signed or public reads). */
const PUBLIC_V1 = new Set(["/v1/auth/register", "/v1/auth/login", "/v1/auth/refresh"]);
const isPublic = (path: string) => PUBLIC_V1.has(path) || path.startsWith("/v1/public/");

export function createApp(services: Services): App {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const { env } = services;

  app.use(requestId({ limitLength: 128 }));
  app.use(async (c, next) => {
    c.set("services", services);
    await next();
  });
  app.use(observe());
  // The headers that matter for a JSON API (OWASP REST cheat sheet); the HTML-page ones are
  // off because every header costs a write per response.
  app.use(
    secureHeaders({
      crossOriginResourcePolicy: "same-origin",
      xFrameOptions: "DENY",
      crossOriginOpenerPolicy: false,
      originAgentCluster: false,
      xDnsPrefetchControl: false,
      xDownloadOptions: false,
      xPermittedCrossDomainPolicies: false,
      xXssProtection: false,
    }),
  );
  app.use(compressJson());
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
  app.use("/v1/*", bodyGuard(env.MAX_BODY_BYTES, env.MAX_FILE_BYTES));
  const gateOpen = limitByIp("ip");
  const gated = protect();
  app.use("/v1/*", (c, next) => (isPublic(c.req.path) ? gateOpen(c, next) : gated(c, next)));
  app.use("/g/*", gateOpen); // the HTML gallery page: public, so the per-IP budget

  registerHealth(app);
  registerAuth(app);
  registerApiKeys(app);
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

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", {
    type: "http",
    scheme: "bearer",
    description: "An access token from /v1/auth/login or an API key (tcc_…)",
  });
  app.doc31("/openapi.json", { openapi: "3.1.0", info: { title: "TCC Log API", version: "1.0.0" } });
  app.get("/docs", Scalar({ url: "/openapi.json", pageTitle: "TCC Log API" }));

  app.notFound(notFoundHandler);
  app.onError(onError);
  return app;
}
