// Copies file bytes between core's storage and a backup: a directory (the `local` driver's
// FILES_DIR, or a backup folder) or an S3 bucket (s3://bucket/optional/prefix). Back up with
// `files-sync.ts <live> <backup>`, restore with `files-sync.ts <backup> <new live>`.
//
//   bun deploy/backup/files-sync.ts ./data/files /var/backups/tcc/files
//   FROM_S3_ACCESS_KEY_ID=… FROM_S3_SECRET_ACCESS_KEY=… TO_S3_ACCESS_KEY_ID=… TO_S3_SECRET_ACCESS_KEY=… \
//     bun deploy/backup/files-sync.ts s3://tcc-files s3://tcc-files-backup/prod
//
// It only adds: an object already at the destination with the same size is left alone, and
// nothing is ever deleted there. That is what makes one backup serve every restore point:
// core never rewrites an object (keys are users/<user>/<sha256> and derivatives with a fresh
// id), so a database restored to any moment finds every object it references in a backup
// synced after that moment, including objects purged later. Staging uploads
// (users/<user>/uploads/…) are skipped: no row references them.
//
// S3 settings per side, like core's: {FROM,TO}_S3_ENDPOINT, _REGION, _ACCESS_KEY_ID,
// _SECRET_ACCESS_KEY, _VIRTUAL_HOSTED_STYLE (false for MinIO/s3rver).
import { mkdir, readdir, rename, stat } from "node:fs/promises";
import { dirname, join, relative, sep } from "node:path";
import { S3Client } from "bun";

interface Store {
  label: string;
  keys(): AsyncIterable<string>;
  size(key: string): Promise<number | null>;
  read(key: string): Blob;
  write(key: string, body: Blob): Promise<void>;
}

const STAGING = /^users\/[^/]+\/uploads\//;

function directory(root: string): Store {
  async function* walk(dir: string): AsyncIterable<string> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      // Dot names are the local driver's own (.tmp for uploads in progress), never object keys.
      if (e.name.startsWith(".")) continue;
      const path = join(dir, e.name);
      if (e.isDirectory()) yield* walk(path);
      else if (e.isFile()) yield relative(root, path).split(sep).join("/");
    }
  }
  return {
    label: root,
    keys: () => walk(root),
    size: (key) =>
      stat(join(root, key)).then(
        (s) => s.size,
        () => null,
      ),
    read: (key) => Bun.file(join(root, key)),
    async write(key, body) {
      const path = join(root, key);
      await mkdir(dirname(path), { recursive: true });
      // Under a dot name first, renamed when whole: an interrupted sync never leaves a short object.
      const tmp = join(dirname(path), `.sync-${process.pid}-${Math.random().toString(36).slice(2)}`);
      await Bun.write(tmp, body);
      await rename(tmp, path);
    },
  };
}

function bucket(url: URL, side: "FROM" | "TO"): Store {
  const env = (name: string) => process.env[`${side}_S3_${name}`] || undefined;
  const virtual = env("VIRTUAL_HOSTED_STYLE");
  const client = new S3Client({
    bucket: url.hostname,
    endpoint: env("ENDPOINT"),
    region: env("REGION") ?? (env("ENDPOINT") ? "auto" : "us-east-1"),
    accessKeyId: env("ACCESS_KEY_ID"),
    secretAccessKey: env("SECRET_ACCESS_KEY"),
    virtualHostedStyle: virtual === undefined ? undefined : virtual === "true" || virtual === "1",
  });
  const prefix = url.pathname.replace(/^\/+|\/+$/g, "");
  const full = (key: string) => (prefix ? `${prefix}/${key}` : key);
  return {
    label: url.href,
    async *keys() {
      let continuationToken: string | undefined;
      do {
        const page = await client.list({ prefix: prefix ? `${prefix}/` : undefined, continuationToken });
        for (const o of page.contents ?? []) yield prefix ? o.key.slice(prefix.length + 1) : o.key;
        continuationToken = page.isTruncated ? page.nextContinuationToken : undefined;
      } while (continuationToken);
    },
    size: (key) =>
      client
        .file(full(key))
        .stat()
        .then(
          (s) => s.size,
          () => null,
        ),
    read: (key) => client.file(full(key)),
    async write(key, body) {
      await client.write(full(key), body);
    },
  };
}

function open(target: string, side: "FROM" | "TO"): Store {
  return target.startsWith("s3://") ? bucket(new URL(target), side) : directory(target);
}

export async function syncFiles(from: Store, to: Store, log: (line: string) => void = console.log) {
  const counts = { copied: 0, present: 0, skipped: 0, failed: 0 };
  for await (const key of from.keys()) {
    if (STAGING.test(key)) {
      counts.skipped++;
      continue;
    }
    try {
      const [size, there] = await Promise.all([from.size(key), to.size(key)]);
      if (size !== null && there === size) {
        counts.present++;
        continue;
      }
      await to.write(key, from.read(key));
      counts.copied++;
    } catch (err) {
      counts.failed++;
      log(`failed: ${key}: ${(err as Error).message}`);
    }
  }
  log(
    `${from.label} -> ${to.label}: ${counts.copied} copied, ${counts.present} already there, ${counts.skipped} staging skipped, ${counts.failed} failed`,
  );
  return counts;
}

if (import.meta.main) {
  const [fromArg, toArg] = process.argv.slice(2);
  if (!fromArg || !toArg) {
    console.error("usage: bun deploy/backup/files-sync.ts <from: dir or s3://bucket[/prefix]> <to: dir or s3://bucket[/prefix]>");
    process.exit(2);
  }
  const counts = await syncFiles(open(fromArg, "FROM"), open(toArg, "TO"));
  process.exit(counts.failed ? 1 : 0);
}

export { open as openStore };
