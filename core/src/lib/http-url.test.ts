import { describe, expect, test } from "bun:test";
import { isHttpUrl } from "./http-url";

describe("link URLs", () => {
  test("links accept absolute http(s) URLs that open as typed", () => {
    for (const url of [
      "https://example.com",
      "http://example.com/a/b?c=d&e=f#g",
      "HTTPS://EXAMPLE.COM/Path",
      "http://localhost:8080/",
      "http://[::1]:3000/x",
      "https://user@example.com/",
      "https://例え.jp/ページ",
      "https://example.com/search?q=C:\\temp", // a backslash in the query is left alone by browsers
    ]) {
      expect([url, isHttpUrl(url)]).toEqual([url, true]);
    }
  });

  test("links refuse other schemes, relative URLs, spaces, control characters and URLs a browser would rewrite", () => {
    for (const url of [
      "",
      "javascript:alert(1)",
      "JavaScript://example.com/%0aalert(1)",
      "data:text/html,<script>alert(1)</script>",
      "ftp://example.com/",
      "mailto:a@example.com",
      "//example.com/path",
      "/relative",
      "example.com",
      "https:example.com",
      "http://",
      "https://",
      "https://exa mple.com/",
      "https://example.com/a b",
      " https://example.com/",
      "https://example.com/\t",
      "https://example.com/\u0000",
      "https://example.com/\u007f",
      "https://example.com:99999/",
      "http:///example.com",
      "https://\\evil.example/",
      "https://example.com\\@evil.example/",
      "https://example.com/a\\b",
    ]) {
      expect([url, isHttpUrl(url)]).toEqual([url, false]);
    }
  });
});
