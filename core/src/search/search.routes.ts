import { createRoute, z } from "@hono/zod-openapi";
import { Entry, EntryFilterQuery } from "../entries/entries.routes";
import { policy } from "../http/policy";
import { ctxOf, ErrorBody, errorResponses, json, text } from "../http/route-kit";
import type { App } from "../http/types";
import { searchEntries } from "./search";

const Mode = z.enum(["keyword", "semantic", "hybrid"]);

const SearchQuery = EntryFilterQuery.extend({
  q: text(500).trim().min(1).openapi({ description: 'Web-search syntax: words, "quoted phrases", OR, -excluded' }),
  include: z.enum(["shared"]).optional().openapi({
    description:
      "shared: entries others shared with you (directly or through a topic) are searched too, by keyword (keyword mode and the keyword half of hybrid); their hits carry sharedBy",
  }),
  mode: Mode.default("keyword").openapi({
    description:
      "keyword: full-text match, paged by cursor. semantic: nearest in meaning (embeddings), one page. hybrid: both, fused by reciprocal rank, one page; falls back to keyword when the AI gateway is down",
  }),
});

const SearchHit = z
  .object({
    entry: Entry,
    rank: z.number().openapi({
      description:
        "Relevance; higher is better, comparable only within one query (keyword: text rank, semantic: similarity, hybrid: fused score)",
    }),
    similarity: z
      .number()
      .optional()
      .openapi({ description: "Cosine similarity of the best-matching chunk, when vector search found the entry" }),
    sharedBy: z.string().uuid().optional().openapi({ description: "The owner's user id, on entries shared with you (include=shared)" }),
    highlights: z
      .object({
        title: z.string(),
        snippet: z.string().openapi({ description: "Keyword matches in context, or the chunk that matched by meaning" }),
      })
      .openapi({ description: "HTML-escaped text with matches wrapped in <mark>; safe to render as HTML" }),
  })
  .openapi("SearchHit");

const SearchPage = z
  .object({
    items: z.array(SearchHit),
    nextCursor: z.string().nullable().openapi({ description: "Always null for semantic and hybrid" }),
    mode: Mode.openapi({ description: "The mode that answered" }),
    degraded: z.enum(["ai-unavailable"]).optional().openapi({
      description: "Set when hybrid could not reach the AI gateway and answered with keyword search alone",
    }),
  })
  .openapi("SearchPage");

export function registerSearch(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/search",
      tags: ["search"],
      ...policy.signedIn,
      request: { query: SearchQuery },
      responses: {
        200: json(SearchPage, "Matching entries, best first"),
        ...errorResponses,
        503: json(ErrorBody, "mode=semantic and the AI gateway is unavailable (code UNAVAILABLE, details.service ai-gateway)"),
      },
    }),
    async (c) => {
      const { tag, include, ...query } = c.req.valid("query");
      const page = await searchEntries({
        ctx: ctxOf(c, "search:read"),
        input: { ...query, tags: tag, includeShared: include === "shared" },
      });
      c.header("x-tcc-search-mode", page.mode);
      return c.json(page, 200);
    },
  );
}
