import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Scope } from "@tcc/shared/contracts";
import type { Services } from "../context";
import type { CacheStamp } from "../lib/read-cache";

export interface AuthInfo {
  userId: string;
  /** null means a first-party session: every scope. */
  scopes: ReadonlySet<Scope> | null;
  sessionId?: string;
  apiKeyId?: string;
}

export interface AppEnv {
  Variables: {
    services: Services;
    requestId: string;
  };
}

/** What a route guarded by `policy.signedIn` (or `uploadGuard`) knows besides: the caller, always. */
export interface SignedInEnv {
  Variables: { auth: AuthInfo; cacheStamp?: CacheStamp | null };
}

export type App = OpenAPIHono<AppEnv>;
