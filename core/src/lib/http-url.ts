/**
 * An absolute http(s) URL a browser can open as is. Links are shown to the user and clicked, so
 * javascript:, data: and relative URLs are refused outright; spaces and control characters too,
 * because browsers would silently rewrite them and the stored URL would not be the one opened.
 */
export function isHttpUrl(s: string): boolean {
  if (!/^https?:\/\//i.test(s) || /[\u0000-\u0020\u007f]/.test(s)) return false;
  try {
    const url = new URL(s);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}
