/** What the page shows: the shared gallery as readPublicGallery serves it, JSON and HTML alike. */
export interface GalleryData {
  title: string;
  description: string | null;
  version: number;
  coverFileId: string | null;
  items: {
    id: string;
    caption: string | null;
    file: { id: string; mime: string; size: number; name: string | null };
    /** The large view: the 1280 px derivative of an image; null while an image is not safe to show yet. */
    url: string | null;
    /** The 320 px grid thumbnail of an image (null for other files and while pending). */
    thumbnailUrl: string | null;
  }[];
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };
/** Every user string goes through this, in text and in attributes alike (attributes are always double-quoted). */
export const esc = (s: string) => s.replace(/[&<>"']/g, (ch) => ESCAPES[ch] as string);

// Inline so the page needs no second request and the CSP can stay default-src 'none'.
// The lightbox is a :target overlay, so enlarging works with no script at all.
const CSS = `*{box-sizing:border-box}body{margin:0;font:16px/1.4 system-ui,sans-serif;background:#111;color:#eee}
header,main,.msg{max-width:1200px;margin:0 auto;padding:16px}h1{margin:0 0 4px;font-size:1.6rem}header p{margin:0;color:#bbb}
.grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:12px}
figure{margin:0;background:#1c1c1c;border-radius:6px;overflow:hidden}figure a{display:block}
figure img{display:block;width:100%;aspect-ratio:4/3;object-fit:cover;background:#222}
figcaption{padding:6px 8px;font-size:.9rem;color:#ccc;overflow-wrap:anywhere}
.file{display:flex;align-items:center;justify-content:center;aspect-ratio:4/3;color:#9cf;padding:8px;overflow-wrap:anywhere}
.lb{display:none;position:fixed;inset:0;z-index:10;background:rgba(0,0,0,.92);flex-direction:column;align-items:center;justify-content:center;padding:16px}
.lb:target{display:flex}.lb .close{position:absolute;inset:0}
.lb img{position:relative;width:100%;height:85vh;object-fit:contain;pointer-events:none}
.lb p{position:relative;margin:8px 0 0;color:#ddd;text-align:center}
form{display:flex;gap:8px;flex-wrap:wrap}input,button{font:inherit;padding:6px 10px}.err{color:#f88}a{color:#9cf}`;

function page(title: string, head: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
${head}<style>${CSS}</style>
</head><body>
${body}
</body></html>
`;
}

const isImage = (mime: string) => mime.startsWith("image/");

export function renderGalleryHtml(g: GalleryData): string {
  const images = g.items.filter((i) => isImage(i.file.mime));
  const cover = images.find((i) => i.file.id === g.coverFileId) ?? images[0];
  const description = g.description ?? `${images.length} photo${images.length === 1 ? "" : "s"}`;
  const head = [
    `<meta name="description" content="${esc(description)}">`,
    `<meta property="og:type" content="website">`,
    `<meta property="og:title" content="${esc(g.title)}">`,
    `<meta property="og:description" content="${esc(description)}">`,
    cover?.url ? `<meta property="og:image" content="${esc(cover.url)}">` : "",
  ]
    .filter(Boolean)
    .join("\n");

  const tiles: string[] = [];
  const boxes: string[] = [];
  g.items.forEach((item, n) => {
    const alt = esc(item.caption ?? item.file.name ?? "");
    const caption = item.caption ? `<figcaption>${esc(item.caption)}</figcaption>` : "";
    if (item.url === null) {
      // An image still being processed: a placeholder until the new gallery version replaces it.
      tiles.push(`<figure><div class="file">Processing…</div>${caption}</figure>`);
      return;
    }
    const url = esc(item.url);
    if (!isImage(item.file.mime)) {
      tiles.push(`<figure><a class="file" href="${url}">${esc(item.file.name ?? "file")}</a>${caption}</figure>`);
      return;
    }
    // The grid loads the small thumbnail lazily; the overlay loads the large view only when opened.
    const thumb = esc(item.thumbnailUrl ?? item.url);
    tiles.push(`<figure><a href="#item-${n + 1}"><img src="${thumb}" alt="${alt}" loading="lazy" decoding="async"></a>${caption}</figure>`);
    boxes.push(
      `<div class="lb" id="item-${n + 1}"><a class="close" href="#" aria-label="Close"></a><img src="${url}" alt="${alt}" loading="lazy">${
        item.caption ? `<p>${esc(item.caption)}</p>` : ""
      }</div>`,
    );
  });
  const intro = g.description ? `<p>${esc(g.description)}</p>` : "";
  const body = `<header><h1>${esc(g.title)}</h1>${intro}</header>
<main class="grid">
${tiles.join("\n")}
</main>
${boxes.join("\n")}`;
  return page(g.title, head, body);
}

export function renderPasswordPage(wrong: boolean): string {
  return page(
    "Password required",
    `<meta name="robots" content="noindex">`,
    `<div class="msg"><h1>This gallery needs a password</h1>${wrong ? `<p class="err">Wrong password, try again.</p>` : ""}
<form method="post"><label>Password <input type="password" name="password" required autofocus></label><button type="submit">Open</button></form></div>`,
  );
}

export function renderTooManyPage(): string {
  return page(
    "Too many attempts",
    `<meta name="robots" content="noindex">`,
    `<div class="msg"><h1>Too many wrong passwords</h1><p>Try again later.</p></div>`,
  );
}

export function renderNotFoundPage(): string {
  return page("Not found", `<meta name="robots" content="noindex">`, `<div class="msg"><h1>Gallery not found</h1></div>`);
}
