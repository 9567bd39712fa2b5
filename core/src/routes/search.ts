import { createRoute, z } from "@hono/zod-openapi";
import * as search from "../services/search";
import type { App } from "../types";
import { ctxOf, errorResponses, json, page, security, text } from "./common";
import { Entry, EntryFilterQuery } from "./entries";

const SearchQuery = EntryFilterQuery.extend({
  q: text(500).trim().min(1).openapi({ description: 'Web-search syntax: words, "quoted phrases", OR, -excluded' }),
  // Semantic and hybrid modes arrive with embeddings; until then only keyword is accepted.
  mode: z.enum(["keyword"]).default("keyword"),
});

const SearchHit = z
  .object({
    entry: Entry,
    rank: z.number().openapi({ description: "Relevance; higher is better, comparable only within one query" }),
    highlights: z
      .object({
        title: z.string(),
        snippet: z.string(),
      })
      .openapi({ description: "HTML-escaped text with matches wrapped in <mark>; safe to render as HTML" }),
  })
  .openapi("SearchHit");

export function registerSearch(app: App) {
  app.openapi(
    createRoute({
      method: "get",
      path: "/v1/search",
      tags: ["search"],
      security,
      request: { query: SearchQuery },
      responses: { 200: json(page(SearchHit, "SearchPage"), "Matching entries, best first"), ...errorResponses },
    }),
    async (c) => {
      const { tag, ...query } = c.req.valid("query");
      return c.json(await search.searchEntries(ctxOf(c, "search:read"), { ...query, tags: tag }), 200);
    },
  );
}
