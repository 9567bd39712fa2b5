import { BUILTIN_MODELS } from "@tcc/shared/contracts";
import type { App } from "../types";

const STARTED = Math.floor(Date.now() / 1000);

export function registerModels(app: App) {
  // The built-in models are always there; LM Studio's are those of nodes in service now.
  app.get("/v1/models", (c) => {
    const { pool } = c.get("services");
    const builtin = Object.values(BUILTIN_MODELS).map((id) => ({ id, object: "model", created: STARTED, owned_by: "tcc-builtin" }));
    const upstream = pool.modelIds().map((id) => ({ id, object: "model", created: STARTED, owned_by: "lmstudio" }));
    return c.json({ object: "list", data: [...builtin, ...upstream] });
  });
}
