export interface ShutdownOptions {
  /** Bun's server: stop(false) stops accepting and resolves once in-flight requests are done. */
  server: { stop(closeActiveConnections?: boolean): Promise<void> };
  /** Longest wait for in-flight requests before closing anyway. */
  graceMs: number;
  logger: { info(obj: object, msg: string): void; flush?: () => void };
  /** Closes pools and clients once the server has drained (or the grace period is over). */
  close: () => Promise<void>;
}

/**
 * On SIGTERM and SIGINT: stop accepting, finish in-flight requests for up to `graceMs`, close,
 * flush the log and exit 0. Returns the same routine, for other reasons to stop (a parent gone).
 */
export function stopGracefully(opts: ShutdownOptions): (reason: string) => Promise<void> {
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    opts.logger.info({ signal }, "shutting down: finishing in-flight requests");
    const drained = opts.server.stop(false);
    const grace = new Promise((resolve) => setTimeout(resolve, opts.graceMs).unref());
    await Promise.race([drained, grace]);
    await opts.close();
    opts.logger.flush?.();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
  return shutdown;
}
