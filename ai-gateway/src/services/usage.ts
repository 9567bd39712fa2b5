import type { Usage } from "../builtin/provider";
import type { Ctx } from "../context";

/** Upstream (or built-in) usage goes to the token metrics and the user's daily count. */
export function record(ctx: Ctx, model: string, usage: Usage): void {
  const { metrics, accounting } = ctx.services;
  const prompt = usage.prompt_tokens ?? 0;
  const completion = usage.completion_tokens ?? 0;
  if (prompt) metrics.tokens.inc({ model, type: "prompt" }, prompt);
  if (completion) metrics.tokens.inc({ model, type: "completion" }, completion);
  accounting.add(ctx.user, usage.total_tokens ?? prompt + completion);
}
