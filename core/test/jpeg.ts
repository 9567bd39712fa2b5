import exifReader from "exif-reader";
import sharp from "sharp";

export interface JpegOptions {
  width: number;
  height: number;
  /** EXIF orientation; 6 means "turn a quarter clockwise to show". */
  orientation?: number;
  /** Adds EXIF GPS tags (a spot in Paris). */
  gps?: boolean;
  /** EXIF DateTimeOriginal, "YYYY:MM:DD HH:MM:SS". */
  takenAt?: string;
  /** Background colour; vary it so each call's bytes differ (uploads dedupe on content). */
  colour?: string;
}

/** A real camera-like JPEG made with sharp, carrying the EXIF asked for. */
export async function jpeg(o: JpegOptions): Promise<Uint8Array> {
  const ifd2 = o.takenAt ? { DateTimeOriginal: o.takenAt } : undefined;
  const ifd3 = o.gps
    ? { GPSLatitudeRef: "N", GPSLatitude: "48/1 51/1 24/1", GPSLongitudeRef: "E", GPSLongitude: "2/1 21/1 3/1" }
    : undefined;
  let img = sharp({ create: { width: o.width, height: o.height, channels: 3, background: o.colour ?? "#c04020" } }).jpeg();
  if (ifd2 || ifd3) img = img.withExif({ ...(ifd2 ? { IFD2: ifd2 } : {}), ...(ifd3 ? { IFD3: ifd3 } : {}) });
  if (o.orientation) img = img.withMetadata({ orientation: o.orientation });
  return new Uint8Array(await img.toBuffer());
}

let colours = 0;
/** A different colour per call. */
export const nextColour = () => `#${(0x102030 + ++colours * 0x050301).toString(16).slice(-6)}`;

/** What a served image says about itself: size, format, and its EXIF GPS tags if any. */
export async function inspect(bytes: Uint8Array) {
  const meta = await sharp(bytes).metadata();
  const exif = meta.exif ? exifReader(meta.exif) : undefined;
  return { format: meta.format, width: meta.width, height: meta.height, orientation: meta.orientation, gps: exif?.GPSInfo ?? null };
}
