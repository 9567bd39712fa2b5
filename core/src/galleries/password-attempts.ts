import { verifyPassword } from "../auth/passwords";
import type { Call, SystemCtx } from "../context";
import { AppError } from "../errors";

/**
 * Checks a shared gallery's password under two failure limits: per gallery (from every address)
 * and per client address (over every gallery). Each guess is an argon2 check anyone can trigger,
 * so an attempt is reserved on both counters before it runs, atomically, and parallel guesses
 * cannot get more through than the limits. A correct password, or a guess refused by the other
 * limit, gives its reservation back; only wrong passwords stay counted.
 */
export async function checkGalleryPassword({
  ctx: { s },
  input: { galleryId, ip, password, hash },
}: Call<{ galleryId: string; ip: string; password: string; hash: string }, SystemCtx>): Promise<void> {
  const window = s.env.GALLERY_PASSWORD_WINDOW_S;
  const galleryKey = `tcc:gpw:g:${galleryId}`;
  const ipKey = `tcc:gpw:ip:${ip}`;
  const [perGallery, perIp] = await Promise.all([s.security.incr(galleryKey, window), s.security.incr(ipKey, window)]);
  if (perGallery > s.env.GALLERY_PASSWORD_MAX_FAILURES || perIp > s.env.GALLERY_PASSWORD_IP_MAX_FAILURES) {
    await Promise.all([s.security.decr(galleryKey), s.security.decr(ipKey)]);
    throw new AppError("RATE_LIMITED", "Too many wrong passwords; try again later", undefined, { "Retry-After": String(window) });
  }
  if (await verifyPassword(password, hash)) {
    await Promise.all([s.security.decr(galleryKey), s.security.decr(ipKey)]);
    return;
  }
  throw new AppError("UNAUTHORIZED", "Wrong gallery password");
}
