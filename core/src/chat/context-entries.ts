import type { ContextEntry } from "@tcc/shared/contracts";
import type { EntryView } from "../entries/entry-query";

/** Enough of an entry for a model to answer from without flooding its context. */
export const CONTEXT_TEXT_CHARS = 2_000;
/** get_entry reads "in full", within reason: entries hold up to 1 MiB. */
export const FULL_TEXT_CHARS = 8_000;

export const toContextEntry = (e: EntryView, maxChars = CONTEXT_TEXT_CHARS): ContextEntry => ({
  id: e.id,
  title: e.title,
  date: e.occurredAt,
  text: e.content.length > maxChars ? `${e.content.slice(0, maxChars)}…` : e.content,
});
