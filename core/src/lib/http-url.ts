/**
 * An absolute http(s) URL a browser can open as is. Links are shown to the user and clicked, so
 * javascript:, data: and relative URLs are refused outright; spaces and control characters too,
 * because browsers would silently rewrite them and the stored URL would not be the one opened.
 */
export function isHttpUrl(s: string): boolean {
  if (!/^https?:\/\//i.test(s) || hasSpaceOrControl(s)) return false;
  try {
    const url = new URL(s);
    return (url.protocol === "http:" || url.protocol === "https:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function hasSpaceOrControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i);
    if (code <= 0x20 || code === 0x7f) return true;
  }
  return false;
}
