import { createEdgeApp } from "./app";
import type { Bindings } from "./env";

export { EdgeMetrics } from "./metrics";
export { RateLimiter } from "./rate-limiter";

const app = createEdgeApp();

export default {
  fetch: (request, env, ctx) => app.fetch(request, env, ctx),
} satisfies ExportedHandler<Bindings>;
