// `npm run start:edge`: the edge Worker on EDGE_PORT (8787) in front of core from `npm start`
// (CORE_ORIGIN, default http://127.0.0.1:8080), in real workerd. Other wrangler.toml [vars]
// may be overridden by environment variables of the same name; EDGE_TRUST_SECRET and
// EDGE_METRICS_TOKEN are read from the environment too (set core's EDGE_TRUST_SECRET to the same).
import { startEdge, wranglerVars } from "./miniflare";

const names = [...Object.keys(wranglerVars()), "EDGE_TRUST_SECRET", "EDGE_METRICS_TOKEN"];
const vars = Object.fromEntries(names.flatMap((n) => (process.env[n] ? [[n, process.env[n] as string]] : [])));
const port = Number(process.env.EDGE_PORT ?? 8787);
const edge = await startEdge(vars, port);
console.log(`TCC Log edge running at ${edge.url} → ${vars.CORE_ORIGIN ?? wranglerVars().CORE_ORIGIN}`);

const stop = async () => {
  await edge.stop();
  process.exit(0);
};
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
