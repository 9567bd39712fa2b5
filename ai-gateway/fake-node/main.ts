import { parseArgs } from "node:util";
import { startFakeNode } from "./server";

/**
 * `bun ai-gateway/fake-node/main.ts --port 1234 --latency-ms 50 --tokens-per-second 40`
 * A stand-in LM Studio node for benchmarks and manual runs; tests usually start it in-process.
 */
const { values } = parseArgs({
  options: {
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    models: { type: "string", default: "fake-chat,fake-embedding" },
    dims: { type: "string", default: "768" },
    "latency-ms": { type: "string", default: "0" },
    "tokens-per-second": { type: "string", default: "0" },
    "fail-rate": { type: "string", default: "0" },
  },
});

const node = await startFakeNode({
  port: Number(values.port),
  hostname: values.host,
  models: String(values.models).split(",").filter(Boolean),
  dims: Number(values.dims),
  latencyMs: Number(values["latency-ms"]),
  tokensPerSecond: Number(values["tokens-per-second"]),
  failRate: Number(values["fail-rate"]),
});
console.log(`fake LM Studio node listening at ${node.url}`);
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => void node.stop().then(() => process.exit(0)));
