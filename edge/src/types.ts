import type { Hono } from "hono";
import type { Bindings, EdgeConfig, RouteClass } from "./env";

export interface EdgeEnv {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    cfg: EdgeConfig;
    routeClass: RouteClass;
    /** Set when the edge verified an access token: the rate-limit key and the trust header's subject. */
    claims?: { sub: string; sid: string };
  };
}
export type EdgeApp = Hono<EdgeEnv>;
