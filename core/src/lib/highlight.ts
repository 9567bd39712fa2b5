/** Sentinels ts_headline wraps matches in; control characters, so they never collide with markup. */
export const MARK_START = "\u0002";
export const MARK_END = "\u0003";
/**
 * Stand-ins for < and > while ts_headline reads the text: its parser takes anything between them
 * for an HTML tag and drops it from fragments ("x<y and y>z" would come back as "x z").
 */
export const LT = "\u0004";
export const GT = "\u0005";

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
  [LT]: "&lt;",
  [GT]: "&gt;",
};

/**
 * Turns a ts_headline fragment into HTML a client can render as is: the text escaped, matches in
 * <mark>. The sentinels can also occur in the user's own text, so marks are only opened when
 * closed and closed when open, and always closed at the end: the output is well-formed whatever came in.
 */
export function markHighlights(fragment: string): string {
  let out = "";
  let open = false;
  for (const ch of fragment) {
    if (ch === MARK_START) {
      if (!open) out += "<mark>";
      open = true;
    } else if (ch === MARK_END) {
      if (open) out += "</mark>";
      open = false;
    } else {
      out += ESCAPES[ch] ?? ch;
    }
  }
  return open ? `${out}</mark>` : out;
}
