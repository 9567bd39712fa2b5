import type { ContextEntry } from "../contracts/ai";
import type { Ctx } from "../services";
import { hybridWithChunks } from "./semantic-search";

/** Whole entries up to this size go to the model; longer ones are represented by their best chunk. */
const FULL_TEXT_CHARS = 1_500;

/**
 * Retrieval for chat: the user's live entries most relevant to `query`, hybrid (keyword and
 * meaning) when the AI gateway answers, keyword alone when it does not. Never another user's.
 */
export async function searchEntriesForChat(ctx: Ctx, query: string, limit: number): Promise<ContextEntry[]> {
  const q = query.trim().slice(0, 500);
  if (!q || limit < 1) return [];
  const { page, chunks } = await hybridWithChunks(ctx, { q, mode: "hybrid", limit: Math.min(limit, 100) });
  return page.items.map(({ entry }) => {
    const chunk = chunks.get(entry.id);
    let text = entry.content || entry.title;
    if (text.length > FULL_TEXT_CHARS) text = chunk ? `…${chunk}…` : `${text.slice(0, FULL_TEXT_CHARS)}…`;
    return { id: entry.id, title: entry.title, date: entry.occurredAt, text };
  });
}
