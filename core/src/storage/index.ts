import { LocalStorage } from "./local";
import { S3Storage, type S3StorageConfig } from "./s3";
import type { ObjectStorage } from "./types";

export { validateKey } from "./keys";
export { LocalStorage } from "./local";
export { S3Storage, type S3StorageConfig } from "./s3";
export * from "./types";

export type StorageConfig = { driver: "local"; root?: string } | ({ driver: "s3" } & S3StorageConfig);

/** Embedded default: files on local disk next to the embedded database. */
export const DEFAULT_FILES_DIR = "./data/files";

export function createStorage(config: StorageConfig): ObjectStorage {
  switch (config.driver) {
    case "local":
      return new LocalStorage(config.root ?? DEFAULT_FILES_DIR);
    case "s3": {
      const { driver: _, ...s3 } = config;
      return new S3Storage(s3);
    }
  }
}
