/**
 * The contract between core and ai-gateway. The gateway speaks the OpenAI protocol; these
 * are the few things on top of it that both sides must agree on.
 */

/** Headers core sends with every gateway call (besides `Authorization: Bearer AI_GATEWAY_TOKEN`). */
export const AI_HEADERS = {
  /** The TCC Log user the call is for: fairness, quotas and accounting key on it. */
  user: "x-tcc-user",
  /** `interactive` (chat, query embeddings) runs ahead of `batch` (document embeddings). */
  priority: "x-tcc-priority",
  /** Milliseconds the caller will wait, queueing included; the gateway gives up after that. */
  deadline: "x-tcc-deadline-ms",
  /** Set by the gateway on responses served from its exact-match cache: `hit` or `miss`. */
  cache: "x-tcc-cache",
} as const;

export type AiPriority = "interactive" | "batch";

/** Models the gateway's built-in provider serves when no LM Studio node is configured. */
export const BUILTIN_MODELS = {
  chat: "tcc-builtin-extractive",
  embedding: "tcc-builtin-embedding",
} as const;

/** One retrieved entry as core hands it to a model. */
export interface ContextEntry {
  id: string;
  title: string;
  /** ISO date the entry was written; lets a model answer "when did I…". */
  date: string;
  text: string;
}

const OPEN = "<tcc-entry";
const CLOSE = "</tcc-entry>";

function attr(value: string): string {
  return value.replaceAll("&", "&amp;").replaceAll('"', "&quot;").replaceAll("<", "&lt;").replaceAll("\n", " ");
}

function unattr(value: string): string {
  return value.replaceAll("&lt;", "<").replaceAll("&quot;", '"').replaceAll("&amp;", "&");
}

/**
 * Renders retrieved entries for a system message. The built-in provider parses the same text
 * back (parseContextEntries) to answer extractively, so the format is part of the contract.
 * Entry text cannot close its own block: `</tcc-entry>` inside it is defused.
 */
export function formatContextEntries(entries: ContextEntry[]): string {
  return entries
    .map((e) => {
      const text = e.text.replaceAll(CLOSE, "</tcc-entry_>");
      return `${OPEN} id="${attr(e.id)}" title="${attr(e.title)}" date="${attr(e.date)}">\n${text}\n${CLOSE}`;
    })
    .join("\n");
}

const BLOCK = /<tcc-entry id="([^"]*)" title="([^"]*)" date="([^"]*)">\n([\s\S]*?)\n<\/tcc-entry>/g;

export function parseContextEntries(text: string): ContextEntry[] {
  const out: ContextEntry[] = [];
  for (const m of text.matchAll(BLOCK)) {
    out.push({
      id: unattr(m[1] ?? ""),
      title: unattr(m[2] ?? ""),
      date: unattr(m[3] ?? ""),
      text: (m[4] ?? "").replaceAll("</tcc-entry_>", CLOSE),
    });
  }
  return out;
}
