/**
 * The built-in embedder: no model, no network, deterministic. Hashed features (word stems,
 * stem bigrams, character trigrams of stems) folded into `dims` buckets with a sign bit, then
 * L2-normalised. Texts that share words or word stems land close in cosine distance, so
 * semantic search works offline; it knows nothing of synonyms, which a real model adds.
 */

const STOPWORDS = new Set(
  "a an and are as at be been but by did do does for from had has have he her his i if in into is it its me my no not of on or our she so than that the their them then there these they this to was we were what when where which who why will with you your".split(
    " ",
  ),
);

const SUFFIXES = ["ations", "ation", "ings", "ing", "edly", "ies", "ied", "ers", "er", "ed", "ly", "es", "s"];

/** A light suffix stripper: "servicing", "serviced", "services" → "servic". */
export function stem(word: string): string {
  for (const suffix of SUFFIXES) {
    if (word.length - suffix.length >= 3 && word.endsWith(suffix)) {
      const base = word.slice(0, -suffix.length);
      return suffix === "ies" || suffix === "ied" ? `${base}y` : base;
    }
  }
  // "service" and "servic(ing)" should meet: drop a final silent e.
  return word.length > 4 && word.endsWith("e") ? word.slice(0, -1) : word;
}

export function tokenize(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((w) => w.length > 0 && !STOPWORDS.has(w));
}

/** FNV-1a, 32-bit. */
function hash(feature: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < feature.length; i++) {
    h ^= feature.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function add(vec: Float64Array, feature: string, weight: number): void {
  const h = hash(feature);
  const i = h % vec.length;
  // The top bit picks the sign so unrelated features cancel out instead of piling up.
  vec[i] = (vec[i] ?? 0) + (h & 0x80000000 ? -weight : weight);
}

export function embedText(text: string, dims: number): number[] {
  const vec = new Float64Array(dims);
  const stems = tokenize(text).map(stem);
  for (let i = 0; i < stems.length; i++) {
    const s = stems[i] as string;
    add(vec, `w:${s}`, 1);
    if (i > 0) add(vec, `b:${stems[i - 1]} ${s}`, 0.5);
    const padded = `#${s}#`;
    for (let j = 0; j + 3 <= padded.length; j++) add(vec, `c:${padded.slice(j, j + 3)}`, 0.25);
  }
  let norm = 0;
  for (const v of vec) norm += v * v;
  // An empty text still needs a unit vector: cosine distance to a zero vector is undefined.
  if (norm === 0) {
    vec[0] = 1;
    norm = 1;
  }
  const scale = 1 / Math.sqrt(norm);
  return Array.from(vec, (v) => v * scale);
}

/** Rough token count (words and punctuation runs) for usage figures. */
export function countTokens(text: string): number {
  return text.match(/[\p{L}\p{N}]+|[^\s\p{L}\p{N}]/gu)?.length ?? 0;
}
