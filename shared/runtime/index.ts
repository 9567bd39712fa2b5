// Process plumbing core and the AI gateway share. Bun and Node APIs: never for the edge Worker,
// which imports ../contracts only.
export { type EnvSource, loadEnvOrExit, parseEnvWith } from "./env";
export { collectProcessMetrics } from "./process-metrics";
export { type ConnectingClient, waitForRedis } from "./redis";
export { type ShutdownOptions, stopGracefully } from "./shutdown";
export { readUrlLine, type UrlLineOptions } from "./url-line";
