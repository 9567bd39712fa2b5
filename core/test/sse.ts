import type { Client } from "./harness";

/** One server-sent event, its data parsed as JSON. */
export interface Sse {
  event: string;
  data: any;
}

/** Parses a complete `text/event-stream` body. */
export function parseSse(body: string): Sse[] {
  const out: Sse[] = [];
  for (const block of body.split(/\n\n+/)) {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith("event:")) event = line.slice(6).trim();
      else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
    }
    if (data.length) out.push({ event, data: JSON.parse(data.join("\n")) });
  }
  return out;
}

export interface ChatResult {
  status: number;
  contentType: string | null;
  events: Sse[];
  /** The error envelope when the request failed before the stream. */
  error?: any;
}

/** POST /v1/chat and read the whole stream. */
export async function chat(u: Client, body: unknown): Promise<ChatResult> {
  const res = await u.fetch("POST", "/v1/chat", JSON.stringify(body), { "content-type": "application/json" });
  const text = await res.text();
  const contentType = res.headers.get("content-type");
  if (!contentType?.startsWith("text/event-stream")) return { status: res.status, contentType, events: [], error: JSON.parse(text) };
  return { status: res.status, contentType, events: parseSse(text) };
}

export const named = (events: Sse[], name: string) => events.filter((e) => e.event === name).map((e) => e.data);
export const answerOf = (events: Sse[]) =>
  named(events, "delta")
    .map((d) => d.text)
    .join("");
