import { Hono } from "hono";
import { GatewayError } from "./errors";
import { observe, onError, requireToken } from "./middleware";
import { registerChat } from "./routes/chat";
import { registerEmbeddings } from "./routes/embeddings";
import { registerHealth } from "./routes/health";
import { registerModels } from "./routes/models";
import type { Services } from "./services";
import type { App, AppEnv } from "./types";

/**
 * The gateway's HTTP face: OpenAI's routes under /v1 (token-checked when AI_GATEWAY_TOKEN is
 * set), health and metrics outside. Plain Hono routes with zod checks rather than
 * zod-openapi: the contract here is OpenAI's published API, and the hot path stays lean.
 */
export function createApp(services: Services): App {
  const app = new Hono<AppEnv>();
  app.use(async (c, next) => {
    c.set("services", services);
    await next();
  });
  app.use(observe());
  app.use("/v1/*", requireToken(services.env.AI_GATEWAY_TOKEN));
  registerHealth(app);
  registerModels(app);
  registerChat(app);
  registerEmbeddings(app);
  app.notFound(() => {
    throw new GatewayError("not_found", "No such route");
  });
  app.onError(onError);
  return app;
}
