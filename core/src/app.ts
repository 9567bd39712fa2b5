import { OpenAPIHono } from "@hono/zod-openapi";
import { Scalar } from "@scalar/hono-api-reference";
import { cors } from "hono/cors";
import { requestId } from "hono/request-id";
import { secureHeaders } from "hono/secure-headers";
import { bodyGuard } from "./middleware/body";
import { compressJson } from "./middleware/compress";
import { notFoundHandler, onError, validationHook } from "./middleware/errors";
import { observe } from "./middleware/observe";
import { protect } from "./middleware/protect";
import { limitByIp } from "./middleware/rate-limit";
import { registerApiKeys } from "./routes/api-keys";
import { registerAuth } from "./routes/auth";
import { registerChat } from "./routes/chat";
import { registerConversations } from "./routes/conversations";
import { registerEmbeddings } from "./routes/embeddings";
import { registerEntries } from "./routes/entries";
import { registerFiles } from "./routes/files";
import { registerGalleries } from "./routes/galleries";
import { registerGalleryPage } from "./routes/gallery-page";
import { registerHealth } from "./routes/health";
import { registerLinks } from "./routes/links";
import { registerSearch } from "./routes/search";
import { registerTags } from "./routes/tags";
import { registerTopics } from "./routes/topics";
import type { Services } from "./services";
import type { App, AppEnv } from "./types";

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
