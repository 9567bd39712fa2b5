/**
 * An absolute http(s) URL a browser can open as is. Links are shown to the user and clicked, so
 * javascript:, data: and relative URLs are refused outright; spaces and control characters too,
 * because browsers would silently rewrite them and the stored URL would not be the one opened.
 */
export function isHttpUrl(s: string): boolean {
  if (!/^https?:\/\/[^/]/i.test(s) || hasSpaceOrControl(s) || rewritesSlashes(s)) return false;
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

/**
 * Before the query, browsers read a backslash as "/": "https://\evil.example" opens evil.example
 * and "https://example.com\@evil.example" opens example.com, neither what the text suggests.
 * (A third slash, "http:///host", is refused by the pattern in isHttpUrl for the same reason.)
 */
function rewritesSlashes(s: string): boolean {
  const end = s.search(/[?#]/);
  return (end === -1 ? s : s.slice(0, end)).includes("\\");
}
