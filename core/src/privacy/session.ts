import type { Context } from "hono";
import { requireSession } from "../auth/identify";
import type { Ctx } from "../context";
import type { AppEnv, SignedInEnv } from "../http/types";

/** Your consents, export, erasure and import are for a signed-in session; API keys get 403. */
export function sessionCtx(c: Context<AppEnv & SignedInEnv>): Ctx {
  return { userId: requireSession(c.var.auth).userId, s: c.get("services") };
}
