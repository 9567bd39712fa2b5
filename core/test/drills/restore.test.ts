// The restore drill: base backup + WAL archive (deploy/backup/) restored to a moment into a new
// cluster, with the file bucket restored from its backup, and core started on both.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { type CoreProcess, startCore } from "../process";
import { Api, coreEnv } from "./http";
import { asPostgres, freePort, pgBin, run, type Scratch, scratchRoot, startScratch, until } from "./scratch";

type S3rverServer = { run(): Promise<{ port: number }>; close(): Promise<void> };
const S3rver: new (opts: Record<string, unknown>) => S3rverServer = require("s3rver");

const backupScripts = join(import.meta.dir, "../../../deploy/backup");
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const bytes = (label: string) => new TextEncoder().encode(`file ${label} `.repeat(500 + label.length));

/** A folder the postgres user owns: the archive and backups are written by the server and its tools. */
function postgresDir(name: string) {
  const dir = mkdtempSync(join(scratchRoot(), `tcc-drill-${name}-`));
  chownSync(
    dir,
    Number(Bun.spawnSync(["id", "-u", "postgres"]).stdout.toString()),
    Number(Bun.spawnSync(["id", "-g", "postgres"]).stdout.toString()),
  );
  return dir;
}

let scratch: Scratch;
let s3: S3rverServer;
let s3Dir: string;
let s3Port: number;
let live: CoreProcess;
let restored: CoreProcess | undefined;
let restoredRoot = "";
let restoredDataDir = "";
const archive = postgresDir("wal-archive");
const backups = postgresDir("backups");
const dataDir = mkdtempSync(join(scratchRoot(), "tcc-drill-core-"));

const s3Env = (bucket: string) => ({
  STORAGE_DRIVER: "s3",
  S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
  S3_BUCKET: bucket,
  S3_REGION: "us-east-1",
  S3_ACCESS_KEY_ID: "S3RVER",
  S3_SECRET_ACCESS_KEY: "S3RVER",
  S3_VIRTUAL_HOSTED_STYLE: "false",
});
const syncEnv = (side: "FROM" | "TO") => ({
  [`${side}_S3_ENDPOINT`]: `http://127.0.0.1:${s3Port}`,
  [`${side}_S3_REGION`]: "us-east-1",
  [`${side}_S3_ACCESS_KEY_ID`]: "S3RVER",
  [`${side}_S3_SECRET_ACCESS_KEY`]: "S3RVER",
  [`${side}_S3_VIRTUAL_HOSTED_STYLE`]: "false",
});
const filesSync = (from: string, to: string) =>
  run([process.execPath, join(backupScripts, "files-sync.ts"), from, to], { ...syncEnv("FROM"), ...syncEnv("TO") });

beforeAll(async () => {
  scratch = await startScratch("restore", {
    pgConf: `archive_mode = on\narchive_command = '${backupScripts}/archive-wal.sh %p %f ${archive}'`,
  });
  s3Dir = mkdtempSync(join(scratchRoot(), "tcc-drill-s3-"));
  s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory: s3Dir,
    configureBuckets: [{ name: "tcc-live" }, { name: "tcc-backup" }, { name: "tcc-restored" }],
  });
  s3Port = (await s3.run()).port;
  live = await startCore({ ...scratch.env, ...coreEnv(dataDir), ...s3Env("tcc-live") });
}, 60_000);

afterAll(async () => {
  await restored?.stop();
  await live?.stop();
  if (restoredDataDir) await asPostgres([`${pgBin()}/pg_ctl`, "-D", restoredDataDir, "stop", "-m", "immediate"]).catch(() => {});
  await scratch?.close();
  await s3?.close();
  for (const dir of [archive, backups, dataDir, s3Dir, restoredRoot]) if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe("backup and point-in-time restore", () => {
  test("restoring to a noted time brings back every row committed up to it, none after, and downloads work", async () => {
    const u = await new Api(live.url).register("pitr");
    const entry = async (title: string) => {
      const res = await u.post("/v1/entries", { title, content: `written as ${title}`, tags: ["drill"] });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    const upload = async (label: string) => {
      const body = bytes(label);
      const res = await u.call("PUT", `/v1/files?name=${label}.txt`, body, { "content-type": "text/plain" });
      expect(res.status).toBe(201);
      return { id: res.body.id as string, sha: sha(body) };
    };

    // Before the base backup.
    const before = [await entry("A1"), await entry("A2"), await entry("A3")];
    const fileA = await upload("A");
    const fileA2 = await upload("A2");
    const base = (
      await asPostgresEnv([join(backupScripts, "base-backup.sh"), backups], {
        PGHOST: "127.0.0.1",
        PGPORT: String(scratch.ports.primary),
        PGUSER: "postgres",
      })
    ).trim();
    expect(readdirSync(base).sort()).toEqual(["backup_manifest", "base.tar.gz", "pg_wal.tar.gz", "wal-start"]);

    // After the backup, before the noted time: these come back from the WAL archive.
    const between = [await entry("B1"), await entry("B2")];
    const fileB = await upload("B");
    await filesSync("s3://tcc-live", "s3://tcc-backup"); // the periodic files backup
    const primary = scratch.sql("primary");
    await Bun.sleep(300);
    const t = (await primary<{ t: string }[]>`select clock_timestamp()::text as t`)[0]?.t as string;
    await Bun.sleep(300);

    // After the noted time: none of this may come back.
    const after = [await entry("C1"), await entry("C2")];
    const fileC = await upload("C");
    expect((await u.del(`/v1/entries/${between[0]}`)).status).toBe(204); // trashed after T: live at T
    expect((await u.del(`/v1/files/${fileA.id}?purge=true`)).status).toBe(204); // bytes gone from the live bucket
    await filesSync("s3://tcc-live", "s3://tcc-backup"); // adds C, keeps A: the backup never deletes

    // Close the current WAL segment so everything up to now is archived, and wait for it.
    const wal = (await primary<{ wal: string }[]>`select pg_walfile_name(pg_switch_wal()) as wal`)[0]?.wal as string;
    await until("the last segment to be archived", async () => readdirSync(archive).includes(wal), 20_000);

    // Restore into a new cluster on a port of its own, to the noted time.
    restoredRoot = postgresDir("restored");
    restoredDataDir = join(restoredRoot, "data");
    const port = freePort();
    await asPostgres([
      "bash",
      join(backupScripts, "restore.sh"),
      "--backup",
      base,
      "--data",
      restoredDataDir,
      "--wal-archive",
      archive,
      "--target-time",
      t,
      "--port",
      String(port),
    ]);
    await asPostgres([`${pgBin()}/pg_ctl`, "-D", restoredDataDir, "start", "-w", "-l", join(restoredRoot, "server.log")]);
    const url = `postgres://postgres@127.0.0.1:${port}/tcc_test`;
    const restoredSql = (await import("postgres")).default(url, { max: 1, onnotice: () => {} });
    try {
      // recovery_target_action = promote: it replays to T, then becomes a primary on a new timeline.
      await until(
        "the restored cluster to finish recovery",
        async () => !(await restoredSql`select pg_is_in_recovery() as r`)[0]?.r,
        30_000,
        200,
      );
      const titles = (await restoredSql<{ title: string }[]>`select title from entries where user_id = ${u.userId} order by title`).map(
        (r) => r.title,
      );
      expect(titles).toEqual(["A1", "A2", "A3", "B1", "B2"]);
    } finally {
      await restoredSql.end();
    }

    // The files: the backup bucket restored into an empty one, and core started on both. No
    // Redis: the live one's cached reads and data versions describe the data after T.
    await filesSync("s3://tcc-backup", "s3://tcc-restored");
    restored = await startCore({ ...coreEnv(dataDir), DATABASE_URL: url, ...s3Env("tcc-restored") });
    const r = new Api(restored.url, u.token);
    const entries = await r.all<{ id: string; title: string }>("/v1/entries");
    expect(entries.map((e) => e.id).sort()).toEqual([...before, ...between].sort());
    for (const id of after) expect((await r.get(`/v1/entries/${id}`)).status).toBe(404);
    const files = await r.all<{ id: string }>("/v1/files");
    expect(files.map((f) => f.id).sort()).toEqual([fileA.id, fileA2.id, fileB.id].sort());
    for (const f of [fileA, fileA2, fileB]) {
      const res = await fetch(`${restored.url}/v1/files/${f.id}/content`, { headers: { authorization: `Bearer ${r.token}` } });
      expect(res.status).toBe(200);
      expect(sha(new Uint8Array(await res.arrayBuffer()))).toBe(f.sha);
    }
    expect((await r.get(`/v1/files/${fileC.id}`)).status).toBe(404);
    // And the restored deployment takes writes.
    expect((await r.post("/v1/entries", { title: "after the restore" })).status).toBe(201);
    console.log(`[restore drill] restored to ${t}: ${entries.length} entries (5 expected) and 3 files, every download matching its sha256`);
  }, 120_000);

  test("prune keeps the newest base backups and exactly the WAL they need", async () => {
    const env = { PGHOST: "127.0.0.1", PGPORT: String(scratch.ports.primary), PGUSER: "postgres" };
    const first = readdirSync(join(backups, "base")).sort()[0] as string;
    await Bun.sleep(1_100); // backups are named by the second
    const second = (await asPostgresEnv([join(backupScripts, "base-backup.sh"), backups], env)).trim();
    const start = (await Bun.file(join(second, "wal-start")).text()).match(/[0-9A-F]{24}/)?.[0] as string;
    const segments = () => readdirSync(archive).filter((f) => /^[0-9A-F]{24}$/.test(f));
    expect(segments().some((s) => s < start)).toBe(true);
    await asPostgres(["bash", join(backupScripts, "prune.sh"), backups, archive, "1"]);
    expect(readdirSync(join(backups, "base"))).toEqual([second.split("/").pop() as string]);
    expect(readdirSync(join(backups, "base"))).not.toContain(first);
    expect(segments().filter((s) => s < start)).toEqual([]);
  }, 60_000);
});

function asPostgresEnv(cmd: string[], env: Record<string, string>) {
  return run(["runuser", "-u", "postgres", "--", "env", ...Object.entries(env).map(([k, v]) => `${k}=${v}`), "bash", ...cmd]);
}
