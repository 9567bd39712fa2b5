import type { Metadata } from "sharp";
import { lazyModule } from "../../lib/lazy-module";

/** Loaded with the first image that carries EXIF, as sharp is (see lib/lazy-module.ts). */
const exifReader = lazyModule(async () => (await import("exif-reader")).default);

/** What an image's header and EXIF tell us, as recorded in the file's metadata. */
export interface ImageFacts {
  /** As displayed, i.e. after the EXIF orientation is applied. */
  width: number;
  height: number;
  /** EXIF orientation 1–8 (1 when absent). */
  orientation: number;
  /** EXIF DateTimeOriginal as written by the camera: local time with no zone unless OffsetTimeOriginal says one. */
  takenAt: string | null;
  /** Whether the original carries EXIF GPS tags (never the coordinates themselves). */
  hasLocation: boolean;
}

/** "2024-05-06T07:08:09" from exif-reader's Date, which reads the camera's local time as if it were UTC. */
function localIso(d: Date): string {
  return d.toISOString().slice(0, 19);
}

export async function imageFacts(meta: Metadata): Promise<ImageFacts> {
  const orientation = meta.orientation ?? 1;
  // Orientations 5–8 turn the image a quarter: width and height swap on display.
  const turned = orientation >= 5 && orientation <= 8;
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  let takenAt: string | null = null;
  let hasLocation = false;
  if (meta.exif) {
    try {
      const tags = (await exifReader())(meta.exif);
      const taken = tags.Photo?.DateTimeOriginal;
      if (taken instanceof Date && !Number.isNaN(taken.getTime())) {
        const offset = tags.Photo?.OffsetTimeOriginal;
        takenAt = localIso(taken) + (typeof offset === "string" && /^[+-]\d\d:\d\d$/.test(offset) ? offset : "");
      }
      hasLocation = Object.keys(tags.GPSInfo ?? {}).length > 0;
    } catch {
      // Unreadable EXIF is treated as "may hold a location": derivatives drop all EXIF anyway.
      hasLocation = true;
    }
  }
  return { width: turned ? height : width, height: turned ? width : height, orientation, takenAt, hasLocation };
}
