/** Target chunk size in characters: a few sentences, well inside any embedding model's context. */
export const CHUNK_CHARS = 800;
/** Text carried from the end of one chunk into the next, so a thought split across them is found in either. */
export const CHUNK_OVERLAP = 150;
/**
 * Chunks embedded per entry (about 200K characters). Beyond that an entry is found by keyword
 * search only; a 2 MB paste would otherwise cost thousands of model calls per edit.
 */
export const MAX_CHUNKS = 256;

/** Splits `text` into pieces of at most `max` characters, preferring the largest boundary that fits. */
function pieces(text: string, max: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.split(/\n\s*\n/)) {
    const p = paragraph.trim();
    if (!p) continue;
    if (p.length <= max) {
      out.push(p);
      continue;
    }
    for (const sentence of p.split(/(?<=[.!?])\s+/)) {
      if (sentence.length <= max) {
        out.push(sentence);
        continue;
      }
      // A run-on "sentence" (a list, a log dump): cut at the last space before the limit.
      let rest = sentence;
      while (rest.length > max) {
        const space = rest.lastIndexOf(" ", max);
        const cut = space > max / 2 ? space : max;
        out.push(rest.slice(0, cut));
        rest = rest.slice(cut).trimStart();
      }
      if (rest) out.push(rest);
    }
  }
  return out;
}

/** The trailing pieces of a chunk that fit in the overlap budget. */
function tail(chunk: string[], budget: number): string[] {
  const kept: string[] = [];
  let size = 0;
  for (let i = chunk.length - 1; i > 0; i--) {
    const piece = chunk[i] as string;
    if (size + piece.length > budget) break;
    kept.unshift(piece);
    size += piece.length + 1;
  }
  return kept;
}

/**
 * Cuts an entry's content into chunks of about CHUNK_CHARS on paragraph, then sentence, then word
 * boundaries, each sharing up to CHUNK_OVERLAP characters with the one before. A short entry is
 * one chunk; an entry with no content is its title alone.
 */
export function chunkEntry(
  title: string,
  content: string,
  opts = { size: CHUNK_CHARS, overlap: CHUNK_OVERLAP, max: MAX_CHUNKS },
): string[] {
  const body = content.trim();
  if (!body) return title.trim() ? [title.trim()] : [];
  if (body.length <= opts.size) return [body];
  const chunks: string[] = [];
  let current: string[] = [];
  let size = 0;
  for (const piece of pieces(body, opts.size)) {
    if (size > 0 && size + 1 + piece.length > opts.size) {
      chunks.push(current.join(" "));
      if (chunks.length >= opts.max) return chunks;
      current = tail(current, opts.overlap);
      size = current.reduce((n, p) => n + p.length + 1, 0);
      // No overlap where it would push the next piece over the limit.
      if (size + piece.length > opts.size) {
        current = [];
        size = 0;
      }
    }
    current.push(piece);
    size += piece.length + 1;
  }
  if (current.length) chunks.push(current.join(" "));
  return chunks.slice(0, opts.max);
}

/** What the model embeds for a chunk: the title gives every chunk of a long entry its subject. */
export function embeddingInput(title: string, chunk: string): string {
  const t = title.trim();
  return t && t !== chunk ? `${t}\n\n${chunk}` : chunk;
}
