// Run by src/lazy-loading.test.ts in a process of its own (a test process has loaded whatever
// every other test file imported): builds core as an API-only pod runs it (the real AI client,
// no job workers), serves a sign-up, a login, a create and reads, then each path given as an
// argument, and prints the npm packages this process has loaded, as JSON on the last line.
import { createHarness } from "./harness";

const h = await createHarness({ JOB_WORKERS: "off", AI_GATEWAY_URL: "http://127.0.0.1:9" });
try {
  const me = await h.user("lazy");
  const must = (what: string, status: number, want: number) => {
    if (status !== want) throw new Error(`${what} answered ${status}`);
  };
  must("login", (await h.anon.post("/v1/auth/login", { email: me.info.email, password: me.info.password })).status, 200);
  const made = await me.post("/v1/entries", { title: "Serviced the bike", content: "new chain", tags: ["bike"] });
  must("create", made.status, 201);
  must("get", (await me.get(`/v1/entries/${made.body.id}`)).status, 200);
  must("list", (await me.get("/v1/entries?limit=5")).status, 200);
  must("keyword search", (await me.get("/v1/search?q=bike&mode=keyword")).status, 200);
  for (const path of process.argv.slice(2)) await me.get(path);
} finally {
  await h.close();
}

const packages = new Set<string>();
for (const file of Object.keys(require.cache)) {
  const at = file.lastIndexOf("/node_modules/");
  if (at < 0) continue;
  const [scope, name] = file.slice(at + "/node_modules/".length).split("/");
  packages.add(scope?.startsWith("@") ? `${scope}/${name}` : (scope as string));
}
console.log(JSON.stringify([...packages].sort()));
// Timers of the request logger's batching keep a process alive; this one has said what it had to.
process.exit(0);
