/** What waiting needs of an ioredis client (so this package does not depend on ioredis). */
export interface ConnectingClient {
  status: string;
  once(event: "ready", listener: () => void): unknown;
  off(event: "ready", listener: () => void): unknown;
}

/**
 * Waits for a client's first connection, so start-up traffic is not answered by a fallback;
 * false after `timeoutMs` (the caller decides whether to start degraded or warn).
 */
export function waitForRedis(redis: ConnectingClient, timeoutMs = 3_000): Promise<boolean> {
  if (redis.status === "ready") return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      redis.off("ready", onReady);
      resolve(ok);
    };
    const onReady = () => done(true);
    const timer = setTimeout(() => done(false), timeoutMs);
    redis.once("ready", onReady);
  });
}
