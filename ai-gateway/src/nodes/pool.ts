import OpenAI from "openai";
import type { NodeConfig } from "../env";
import type { Logger } from "../lib/logger";

/** One LM Studio node and what this process knows about it. */
export interface UpstreamNode {
  /** The node's base URL; also its id in Redis keys and metric labels. */
  url: string;
  maxConcurrent: number;
  models: Set<string>;
  /** Models from configuration are trusted; otherwise they come from the node's /v1/models. */
  fixedModels: boolean;
  healthy: boolean;
  /** Consecutive 5xx answers; a few in a row take the node out like a connection error does. */
  failures: number;
  /** Requests this process is running on the node right now (least-loaded picks by it). */
  active: number;
  client: OpenAI;
}

const FAILURES_BEFORE_OUT = 3;
const PROBE_TIMEOUT_MS = 3_000;

/**
 * The configured LM Studio nodes. Each is probed through /v1/models on an interval; a node that
 * fails a probe or a request's connection is taken out, and the next successful probe brings it
 * back (and refreshes its model list when the configuration did not fix one).
 */
export class NodePool {
  readonly nodes: UpstreamNode[];
  private timer: Timer | undefined;
  private readonly listeners: (() => void)[] = [];

  constructor(
    configs: NodeConfig[],
    private readonly opts: { logger: Logger; intervalMs: number },
  ) {
    this.nodes = configs.map((c) => ({
      url: c.url.replace(/\/+$/, ""),
      maxConcurrent: c.maxConcurrent,
      models: new Set(c.models ?? []),
      fixedModels: !!c.models?.length,
      healthy: false,
      failures: 0,
      active: 0,
      // Our own retry loop picks the node for each attempt, so the client never retries itself.
      client: new OpenAI({ baseURL: `${c.url.replace(/\/+$/, "")}/v1`, apiKey: "lm-studio", maxRetries: 0 }),
    }));
  }

  /** Probes every node once (so the first request finds a model list), then keeps probing. */
  async start(): Promise<void> {
    await Promise.all(this.nodes.map((n) => this.probe(n)));
    this.timer = setInterval(() => {
      for (const n of this.nodes) void this.probe(n);
    }, this.opts.intervalMs);
    this.timer.unref?.();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Called when a node comes back, so queued requests get another look. */
  onRecover(listener: () => void): void {
    this.listeners.push(listener);
  }

  /** Whether any node (healthy or not) serves the model: decides 404 versus waiting. */
  knows(model: string): boolean {
    return this.nodes.some((n) => n.models.has(model));
  }

  /** Healthy nodes serving the model, least loaded first, preferring nodes not in `avoid`. */
  candidates(model: string, avoid?: ReadonlySet<string>): UpstreamNode[] {
    const serving = this.nodes.filter((n) => n.healthy && n.models.has(model));
    const preferred = avoid?.size ? serving.filter((n) => !avoid.has(n.url)) : serving;
    const list = preferred.length ? preferred : serving;
    return list.length > 1 ? list.sort((a, b) => a.active / a.maxConcurrent - b.active / b.maxConcurrent) : list;
  }

  modelIds(): string[] {
    const ids = new Set<string>();
    for (const n of this.nodes) if (n.healthy) for (const m of n.models) ids.add(m);
    return [...ids];
  }

  /** A request could not reach the node: out until a probe succeeds. */
  connectionFailed(node: UpstreamNode): void {
    this.takeOut(node, "connection failed");
  }

  statusFailed(node: UpstreamNode): void {
    if (++node.failures >= FAILURES_BEFORE_OUT) this.takeOut(node, `${node.failures} server errors in a row`);
  }

  succeeded(node: UpstreamNode): void {
    node.failures = 0;
  }

  private takeOut(node: UpstreamNode, reason: string) {
    if (node.healthy) this.opts.logger.warn({ node: node.url, reason }, "LM Studio node taken out");
    node.healthy = false;
  }

  private async probe(node: UpstreamNode): Promise<void> {
    try {
      const page = await node.client.models.list({ timeout: PROBE_TIMEOUT_MS });
      if (!node.fixedModels) node.models = new Set(page.data.map((m) => m.id));
      const back = !node.healthy;
      node.healthy = true;
      node.failures = 0;
      if (back) {
        this.opts.logger.info({ node: node.url, models: [...node.models] }, "LM Studio node in service");
        for (const l of this.listeners) l();
      }
    } catch (err) {
      this.takeOut(node, `probe failed: ${(err as Error).message}`);
    }
  }
}
