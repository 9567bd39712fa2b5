import type { ContextEntry } from "@tcc/shared/contracts";
import { z } from "zod";
import type { ChatCompletionTool } from "../ai/client";
import type { Call } from "../context";
import { getEntry } from "../entries/entries";
import { listTags } from "../entries/tags";
import { AppError } from "../errors";
import { findBadString } from "../http/clean-strings";
import { FULL_TEXT_CHARS, toContextEntry } from "./context-entries";
import { queryLog } from "./query-log/query-log";
import { searchEntriesForChat } from "./retrieval";

/** What running one tool call gives back: text for the model, entries it may cite. */
export interface ToolOutcome {
  ok: boolean;
  text: string;
  entries: ContextEntry[];
}

// The model's arguments are input like a user's: nothing SQL cannot take gets past them.
const SearchArgs = z.object({
  query: z
    .string()
    .trim()
    .min(1)
    .max(500)
    .refine((s) => !findBadString(s), "must not contain NUL or unpaired surrogates"),
  limit: z.coerce.number().int().min(1).max(20).default(5),
});
const GetEntryArgs = z.object({ id: z.string().uuid() });
const QueryLogArgs = z.object({ sql: z.string().min(1).max(4_000) });
const NoArgs = z.object({}).passthrough();

const fn = (name: string, description: string, parameters: Record<string, unknown>): ChatCompletionTool => ({
  type: "function",
  function: { name, description, parameters },
});

/** The tools offered to the model. query_log only where it can run (not on the embedded database). */
export function toolDefinitions(opts: { queryLog: boolean; schema?: string; maxRows: number }): ChatCompletionTool[] {
  const tools = [
    fn("search_entries", "Search the user's log entries by words or meaning; returns the best matches with their text.", {
      type: "object",
      properties: { query: { type: "string" }, limit: { type: "integer", minimum: 1, maximum: 20 } },
      required: ["query"],
    }),
    fn("get_entry", "Read one of the user's entries in full by its id.", {
      type: "object",
      properties: { id: { type: "string", description: "The entry id (uuid)" } },
      required: ["id"],
    }),
    fn("list_tags", "List the user's tags with how many entries carry each.", { type: "object", properties: {} }),
  ];
  if (opts.queryLog) {
    tools.push(
      fn(
        "query_log",
        `Run one read-only PostgreSQL SELECT over the user's own data (counts, dates, sums); the first ${opts.maxRows} rows come back as JSON. Rows are already limited to this user. Entries in the trash have deleted_at set. Tables:\n${opts.schema ?? ""}`,
        { type: "object", properties: { sql: { type: "string" } }, required: ["sql"] },
      ),
    );
  }
  return tools;
}

const entryText = (e: ContextEntry) => JSON.stringify({ id: e.id, title: e.title, date: e.date, text: e.text });

function parseArgs<T>(schema: z.ZodType<T>, raw: string): T {
  let json: unknown;
  try {
    json = raw.trim() ? JSON.parse(raw) : {};
  } catch {
    throw new ToolArgsError("arguments are not valid JSON");
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new ToolArgsError(parsed.error.issues.map((i) => `${i.path.join(".") || "arguments"}: ${i.message}`).join("; "));
  return parsed.data;
}

class ToolArgsError extends Error {}

const fail = (text: string): ToolOutcome => ({ ok: false, text: `Error: ${text}`, entries: [] });

/**
 * Runs one tool call for the caller. A bad call (unknown tool, bad arguments, an entry that
 * is not theirs) comes back as an error text for the model to correct, never as a failure of
 * the request.
 */
export async function runTool({
  ctx,
  input: { name, args: rawArgs, queryLog: queryLogOffered },
}: Call<{ name: string; args: string; queryLog: boolean }>): Promise<ToolOutcome> {
  try {
    switch (name) {
      case "search_entries": {
        const { query, limit } = parseArgs(SearchArgs, rawArgs);
        const entries = await searchEntriesForChat({ ctx, input: { query, limit } });
        return { ok: true, text: entries.length ? entries.map(entryText).join("\n") : "No matching entries.", entries };
      }
      case "get_entry": {
        const { id } = parseArgs(GetEntryArgs, rawArgs);
        const entry = await getEntry({ ctx, input: { id } });
        const full = toContextEntry(entry, FULL_TEXT_CHARS);
        return { ok: true, text: JSON.stringify({ ...full, tags: entry.tags }), entries: [full] };
      }
      case "list_tags": {
        parseArgs(NoArgs, rawArgs);
        const tags = await listTags({ ctx });
        return { ok: true, text: JSON.stringify(tags.map((t) => ({ name: t.name, entries: t.entryCount }))), entries: [] };
      }
      case "query_log": {
        if (!queryLogOffered) return fail("query_log is not available here");
        const { sql } = parseArgs(QueryLogArgs, rawArgs);
        const res = await queryLog({ ctx, input: { sql } });
        return { ...res, entries: [] };
      }
      default:
        return fail(`unknown tool "${name}"; use one of search_entries, get_entry, list_tags${queryLogOffered ? ", query_log" : ""}`);
    }
  } catch (err) {
    if (err instanceof ToolArgsError) return fail(`bad arguments for ${name}: ${err.message}`);
    if (err instanceof AppError && err.code === "NOT_FOUND") return fail("no such entry");
    throw err;
  }
}

/** A short, log-safe view of a call's arguments for the client's `tool` event. */
export function summarizeArgs(rawArgs: string): string {
  const flat = rawArgs.replace(/\s+/g, " ").trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}
