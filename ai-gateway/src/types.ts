import type { Hono } from "hono";
import type { Services } from "./services";

export interface AppEnv {
  Variables: { services: Services; requestId: string; user?: string };
}
export type App = Hono<AppEnv>;
