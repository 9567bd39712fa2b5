import { schema } from "@tcc/db";
import { and, asc, desc, eq } from "drizzle-orm";
import type { Call, Ctx } from "../context";
import { afterTimestamp, timestampCursorValue } from "../db/keyset";
import { withTransaction } from "../db/transaction";
import { wrote } from "../db/wrote";
import { notFound } from "../errors";
import { encodeCursor } from "../lib/cursor";

const cv = schema.conversations;
const m = schema.messages;

export interface Citation {
  entryId: string;
  title: string;
  date: string;
}

/** A tool the assistant called while answering, as stored with its message. */
export interface ToolCallRecord {
  name: string;
  arguments: string;
  ok: boolean;
}

export interface MessageView {
  id: string;
  role: "user" | "assistant";
  content: string;
  toolCalls: ToolCallRecord[];
  citations: Citation[];
  createdAt: string;
}

export interface ConversationView {
  id: string;
  title: string | null;
  createdAt: string;
  updatedAt: string;
}

const TITLE_CHARS = 80;

/** The first question, on one line and cut at a word, names the conversation. */
export function titleFrom(question: string): string {
  const line = question.replace(/\s+/g, " ").trim();
  if (line.length <= TITLE_CHARS) return line;
  const cut = line.slice(0, TITLE_CHARS);
  const space = cut.lastIndexOf(" ");
  return `${(space > TITLE_CHARS / 2 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

const conversationColumns = { id: cv.id, title: cv.title, createdAt: cv.createdAt, updatedAt: cv.updatedAt };

const toConversation = (r: { id: string; title: string | null; createdAt: Date; updatedAt: Date }): ConversationView => ({
  id: r.id,
  title: r.title,
  createdAt: new Date(r.createdAt).toISOString(),
  updatedAt: new Date(r.updatedAt).toISOString(),
});

const messageColumns = {
  id: m.id,
  role: m.role,
  content: m.content,
  toolCalls: m.toolCalls,
  citations: m.citations,
  createdAt: m.createdAt,
};

const toMessage = (r: {
  id: string;
  role: string;
  content: string;
  toolCalls: unknown;
  citations: unknown;
  createdAt: Date;
}): MessageView => ({
  id: r.id,
  role: r.role as MessageView["role"],
  content: r.content,
  toolCalls: (r.toolCalls as ToolCallRecord[] | null) ?? [],
  citations: (r.citations as Citation[] | null) ?? [],
  createdAt: new Date(r.createdAt).toISOString(),
});

/** Most recently active first. */
export async function listConversations({ ctx, input: q }: Call<{ limit: number; cursor?: string }>) {
  const rows = await ctx.s.db
    .read(ctx.userId)
    .select({ ...conversationColumns, cursorValue: timestampCursorValue(cv.updatedAt) })
    .from(cv)
    .where(and(eq(cv.userId, ctx.userId), afterTimestamp(q.cursor, cv.updatedAt, cv.id, "desc")))
    .orderBy(desc(cv.updatedAt), desc(cv.id))
    .limit(q.limit + 1);
  const items = rows.slice(0, q.limit);
  const last = rows.length > q.limit ? items[items.length - 1] : undefined;
  return { items: items.map(toConversation), nextCursor: last ? encodeCursor({ v: last.cursorValue, id: last.id }) : null };
}

async function findConversation(ctx: Ctx, id: string): Promise<ConversationView> {
  const [row] = await ctx.s.db
    .read(ctx.userId)
    .select(conversationColumns)
    .from(cv)
    .where(and(eq(cv.userId, ctx.userId), eq(cv.id, id)));
  if (!row) throw notFound("Conversation");
  return toConversation(row);
}

/** The conversation with every message, oldest first; another user's is 404. */
export async function getConversation({
  ctx,
  input: { id },
}: Call<{ id: string }>): Promise<ConversationView & { messages: MessageView[] }> {
  const conversation = await findConversation(ctx, id);
  const rows = await ctx.s.db
    .read(ctx.userId)
    .select(messageColumns)
    .from(m)
    .where(and(eq(m.userId, ctx.userId), eq(m.conversationId, id)))
    .orderBy(asc(m.createdAt), asc(m.id));
  return { ...conversation, messages: rows.map(toMessage) };
}

export async function deleteConversation({ ctx, input: { id } }: Call<{ id: string }>): Promise<void> {
  const [row] = await ctx.s.db.primary
    .delete(cv)
    .where(and(eq(cv.userId, ctx.userId), eq(cv.id, id)))
    .returning({ id: cv.id });
  if (!row) throw notFound("Conversation");
  await wrote(ctx);
}

/** An existing conversation of the caller's (404 otherwise), or a new one titled by the question. */
export async function openConversation({
  ctx,
  input: { id, question },
}: Call<{ id?: string; question: string }>): Promise<ConversationView> {
  if (id) return findConversation(ctx, id);
  const [row] = await ctx.s.db.primary
    .insert(cv)
    .values({ userId: ctx.userId, title: titleFrom(question) })
    .returning(conversationColumns);
  await wrote(ctx);
  return toConversation(row as Parameters<typeof toConversation>[0]);
}

/** The last `n` messages, oldest first: the history a model is shown. */
export async function recentMessages({
  ctx,
  input: { conversationId, n },
}: Call<{ conversationId: string; n: number }>): Promise<MessageView[]> {
  if (n <= 0) return [];
  // From the primary: the previous turn may have been written a moment ago by another process.
  const rows = await ctx.s.db.primary
    .select(messageColumns)
    .from(m)
    .where(and(eq(m.userId, ctx.userId), eq(m.conversationId, conversationId)))
    .orderBy(desc(m.createdAt), desc(m.id))
    .limit(n);
  return rows.reverse().map(toMessage);
}

export interface NewMessage {
  role: "user" | "assistant";
  content: string;
  toolCalls?: ToolCallRecord[];
  citations?: Citation[];
}

/** Appends messages (in order) and marks the conversation as just active. Returns their ids. */
export async function appendMessages({
  ctx,
  input: { conversationId, messages },
}: Call<{ conversationId: string; messages: NewMessage[] }>): Promise<string[]> {
  return withTransaction(ctx, async (ctx) => {
    const tx = ctx.tx.db;
    const out: string[] = [];
    for (const msg of messages) {
      // Timestamped here, not by now() (one value for the whole transaction), so order survives a reload.
      const [row] = await tx
        .insert(m)
        .values({
          userId: ctx.userId,
          conversationId,
          role: msg.role,
          content: msg.content,
          toolCalls: msg.toolCalls?.length ? msg.toolCalls : null,
          citations: msg.citations?.length ? msg.citations : null,
          createdAt: new Date(),
        })
        .returning({ id: m.id });
      out.push((row as { id: string }).id);
    }
    await tx
      .update(cv)
      .set({ updatedAt: new Date() })
      .where(and(eq(cv.userId, ctx.userId), eq(cv.id, conversationId)));
    await wrote(ctx);
    return out;
  });
}
