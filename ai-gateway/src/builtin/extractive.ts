import { type ContextEntry, parseContextEntries } from "@tcc/shared/contracts";
import { stem, tokenize } from "./embedder";

/** A message as the built-in provider sees it: only roles and text matter. */
export interface PlainMessage {
  role: string;
  content?: unknown;
}

/** Text of a message whether its content is a string or OpenAI content parts. */
export function messageText(m: PlainMessage): string {
  if (typeof m.content === "string") return m.content;
  if (!Array.isArray(m.content)) return "";
  return m.content.map((p) => (p && typeof p === "object" && "text" in p && typeof p.text === "string" ? p.text : "")).join("\n");
}

/** Stemmed words without stop words: the embedder's own reading, so "servicing" meets "serviced". */
const terms = (text: string) => tokenize(text).map(stem);

function sentences(text: string): string[] {
  return text
    .split(/(?<=[.!?])\s+|\n+/)
    .map((s) => s.trim())
    .filter((s) => s.length > 1);
}

interface Scored {
  entry: number;
  sentence: string;
  score: number;
}

const MAX_PASSAGES = 3;

/**
 * The built-in answer when no language model is configured: the sentences of the retrieved
 * entries (core's `<tcc-entry>` blocks) that share the most weighted words with the last user
 * question, each cited as [n] with the entry's title and date. It says plainly that no model
 * wrote it.
 */
export function extractiveAnswer(messages: PlainMessage[]): string {
  const entries: ContextEntry[] = [];
  for (const m of messages) entries.push(...parseContextEntries(messageText(m)));
  const lastUser = [...messages].reverse().find((m) => m.role === "user");
  const question = (lastUser ? messageText(lastUser) : "").replace(/<tcc-entry[\s\S]*?<\/tcc-entry>/g, "").trim();
  const quoted = question ? ` “${question.length > 200 ? `${question.slice(0, 200)}…` : question}”` : "";
  if (!entries.length) return `No language model is configured, and nothing in your log matched${quoted}.`;

  const all: Scored[] = [];
  entries.forEach((e, i) => {
    for (const s of sentences(e.text)) all.push({ entry: i, sentence: s, score: 0 });
  });
  // Rare words count for more (inverse sentence frequency), and a word in the title helps its entry's sentences.
  const qTerms = new Set(terms(question));
  const df = new Map<string, number>();
  const sentTerms = all.map((s) => new Set(terms(s.sentence)));
  for (const set of sentTerms) for (const t of set) df.set(t, (df.get(t) ?? 0) + 1);
  const titleTerms = entries.map((e) => new Set(terms(e.title)));
  all.forEach((s, i) => {
    for (const t of qTerms) {
      const idf = Math.log(1 + all.length / (df.get(t) ?? all.length));
      if (sentTerms[i]?.has(t)) s.score += idf;
      if (titleTerms[s.entry]?.has(t)) s.score += idf / 2;
    }
  });
  const ranked = all.filter((s) => s.score > 0).sort((a, b) => b.score - a.score);
  const picked = ranked.length
    ? ranked.slice(0, MAX_PASSAGES)
    : entries.slice(0, MAX_PASSAGES).map((_, i) => all.find((s) => s.entry === i)!);

  // Number sources in order of first citation.
  const cited: number[] = [];
  const lines = picked.filter(Boolean).map((s) => {
    if (!cited.includes(s.entry)) cited.push(s.entry);
    return `- “${s.sentence}” [${cited.indexOf(s.entry) + 1}]`;
  });
  const intro = ranked.length
    ? `No language model is configured, so here are the passages from your entries that best match${quoted}:`
    : `No language model is configured, and no passage shares words with${quoted || " the question"}; these are the entries search found closest:`;
  const sources = cited.map((e, n) => {
    const entry = entries[e]!;
    return `[${n + 1}] ${entry.title || "Untitled"} (${entry.date.slice(0, 10)}, entry ${entry.id})`;
  });
  return `${intro}\n\n${lines.join("\n")}\n\nSources:\n${sources.join("\n")}`;
}
