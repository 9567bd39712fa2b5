import { describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { isAlive } from "../../test/process";
import { createLogger } from "../lib/logger";
import { parseListeningLine, startEmbeddedGateway } from "./embedded-gateway";

const logger = createLogger("silent");
const dir = mkdtempSync(join(tmpdir(), "tcc-gw-launch-"));

/** A stand-in for ai-gateway/src/main.ts's start-up behaviour only: it prints lines, it serves nothing. */
function script(name: string, body: string): string {
  const path = join(dir, `${name}.ts`);
  writeFileSync(path, body);
  return path;
}

/** Live processes whose command line names `path`. */
function processesRunning(path: string): number[] {
  return readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(path) && isAlive(pid);
      } catch {
        return false; // gone while we looked
      }
    });
}

describe("embedded gateway launcher", () => {
  test("parses the gateway's listening line", () => {
    expect(parseListeningLine("AI gateway listening at http://127.0.0.1:43121")).toBe("http://127.0.0.1:43121");
    expect(parseListeningLine("[info] AI gateway listening at http://localhost:8081/ (built-in provider)")).toBe("http://localhost:8081");
    expect(parseListeningLine('{"level":30,"msg":"queue ready"}')).toBeNull();
    expect(parseListeningLine("AI gateway listening at nowhere")).toBeNull();
  });

  test("starts the child with only the gateway's settings, returns its URL, and stops it", async () => {
    const envFile = join(dir, "env.json");
    const entry = script(
      "ok",
      `require("node:fs").writeFileSync(${JSON.stringify(envFile)}, JSON.stringify({ env: process.env, pid: process.pid }));
       console.log("loading models");
       console.log("AI gateway listening at http://127.0.0.1:45678");
       setInterval(() => {}, 1000);`,
    );
    const gw = startEmbeddedGateway({ dims: 384, logLevel: "warn", logger, entry, token: "t0ken" });
    expect(await gw.url).toBe("http://127.0.0.1:45678");
    const { env, pid } = JSON.parse(readFileSync(envFile, "utf8"));
    expect(env).toMatchObject({
      PORT: "0",
      HOST: "127.0.0.1",
      EMBEDDING_DIMS: "384",
      LOG_LEVEL: "warn",
      AI_GATEWAY_TOKEN: "t0ken",
      PARENT_PID: String(process.pid),
    });
    // No LM Studio nodes (built-in provider), and none of core's own secrets or database.
    expect(env.LMSTUDIO_NODES).toBeUndefined();
    expect(env.DATABASE_URL).toBeUndefined();
    expect(isAlive(pid)).toBe(true);
    await gw.stop();
    expect(isAlive(pid)).toBe(false);
  });

  test("a gateway that exits before listening, or never says so, is a clear error and no orphan", async () => {
    const exits = startEmbeddedGateway({ dims: 8, logLevel: "silent", logger, token: "t", entry: script("exit", "process.exit(3);") });
    await expect(exits.url).rejects.toThrow("AI gateway exited (code 3) before listening");

    const hangScript = script("hang", "setInterval(() => {}, 1000);");
    const hangs = startEmbeddedGateway({ dims: 8, logLevel: "silent", logger, token: "t", timeoutMs: 300, entry: hangScript });
    await expect(hangs.url).rejects.toThrow('printed no "listening at" line within 300 ms');
    // Found by its command line rather than a pid it writes: on a loaded machine the child may
    // not have run a line of its own before the 300 ms are up.
    for (let i = 0; i < 50 && processesRunning(hangScript).length > 0; i++) await Bun.sleep(20);
    expect(processesRunning(hangScript)).toEqual([]);

    const missing = startEmbeddedGateway({ dims: 8, logLevel: "silent", logger, token: "t", entry: join(dir, "absent.ts") });
    await expect(missing.url).rejects.toThrow("is missing and AI_GATEWAY_URL is not set");
  });
});
