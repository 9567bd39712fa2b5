import type { AiPriority } from "@tcc/shared/contracts";
import type { Services } from "./services";

/** Who is asking and how long they will wait: what every gateway service call needs. */
export interface Ctx {
  services: Services;
  user: string;
  priority: AiPriority;
  /** Epoch ms: queueing and upstream attempts give up after it. */
  deadlineAt: number;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  /** performance.now() when the request arrived. */
  started: number;
}
