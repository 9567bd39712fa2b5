import type { ContextEntry } from "../contracts/ai";
import type { Ctx } from "../services";
import { toContextEntry } from "./chat/context";
import { searchEntries } from "./search";

/**
 * The caller's entries most relevant to a chat question. Keyword search for now (the
 * semantic slice replaces this file with hybrid retrieval behind the same signature). A
 * question is not a search expression: its words are OR-ed, so an entry need not contain
 * every word of "how many runs did I log in March?" to be found, and ranking prefers
 * entries that match more of them.
 */
export async function searchEntriesForChat(ctx: Ctx, query: string, limit: number): Promise<ContextEntry[]> {
  const words = query.match(/[\p{L}\p{N}]+/gu)?.slice(0, 32) ?? [];
  if (words.length === 0 || limit <= 0) return [];
  const { items } = await searchEntries(ctx, { q: words.join(" OR "), mode: "keyword", limit });
  return items.map((hit) => toContextEntry(hit.entry));
}
