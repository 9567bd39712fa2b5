// deploy/backup/files-sync.ts on the filesystem driver's layout (the S3 side runs in restore.test.ts).
import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { openStore, syncFiles } from "../../../deploy/backup/files-sync";

const root = mkdtempSync(join(tmpdir(), "tcc-files-sync-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function put(dir: string, key: string, text: string) {
  mkdirSync(dirname(join(dir, key)), { recursive: true });
  writeFileSync(join(dir, key), text);
}
const list = (dir: string) =>
  (readdirSync(dir, { recursive: true, withFileTypes: true }) as { isFile(): boolean; parentPath: string; name: string }[])
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name).slice(dir.length + 1))
    .sort();

describe("files-sync on directories", () => {
  test("copies objects, skips staging uploads and temp files, never deletes, and a second run copies nothing", async () => {
    const live = join(root, "live");
    const backup = join(root, "backup");
    put(live, "users/u1/aaa", "first");
    put(live, "users/u1/derivatives/f1/x-320.webp", "thumb");
    put(live, "users/u1/uploads/0199-staging", "half an upload");
    put(live, ".tmp/upload-1", "in progress");
    const quiet = () => {};

    expect(await syncFiles(openStore(live, "FROM"), openStore(backup, "TO"), quiet)).toEqual({
      copied: 2,
      present: 0,
      skipped: 1,
      failed: 0,
    });
    expect(list(backup)).toEqual(["users/u1/aaa", "users/u1/derivatives/f1/x-320.webp"]);

    // A purge on the live side, and a new object: the backup gains it and keeps the purged one.
    unlinkSync(join(live, "users/u1/aaa"));
    put(live, "users/u2/bbb", "second");
    expect(await syncFiles(openStore(live, "FROM"), openStore(backup, "TO"), quiet)).toEqual({
      copied: 1,
      present: 1,
      skipped: 1,
      failed: 0,
    });
    expect(list(backup)).toEqual(["users/u1/aaa", "users/u1/derivatives/f1/x-320.webp", "users/u2/bbb"]);
    expect(await syncFiles(openStore(live, "FROM"), openStore(backup, "TO"), quiet)).toEqual({
      copied: 0,
      present: 2,
      skipped: 1,
      failed: 0,
    });

    // Restore into an empty FILES_DIR: every object, byte for byte.
    const restored = join(root, "restored");
    await syncFiles(openStore(backup, "FROM"), openStore(restored, "TO"), quiet);
    expect(list(restored)).toEqual(list(backup));
    expect(await Bun.file(join(restored, "users/u1/aaa")).text()).toBe("first");
  });

  test("the command line copies and reports, and exits 2 without its arguments", async () => {
    const from = join(root, "cli-from");
    const to = join(root, "cli-to");
    put(from, "users/u3/ccc", "third");
    const script = join(import.meta.dir, "../../../deploy/backup/files-sync.ts");
    const ok = Bun.spawnSync([process.execPath, script, from, to]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.toString()).toContain("1 copied, 0 already there, 0 staging skipped, 0 failed");
    expect(list(to)).toEqual(["users/u3/ccc"]);
    const bad = Bun.spawnSync([process.execPath, script]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("usage:");
  });
});
