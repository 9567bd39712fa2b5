import { describe, expect, test } from "bun:test";
import { GT, LT, MARK_END, MARK_START, markHighlights } from "./highlight";

describe("search highlights", () => {
  const hit = (word: string) => `${MARK_START}${word}${MARK_END}`;
  /** The fragment as a browser would read it back: marks gone, entities decoded. */
  const asText = (html: string) =>
    html
      .replace(/<\/?mark>/g, "")
      .replace(/&lt;/g, "<")
      .replace(/&gt;/g, ">")
      .replace(/&quot;/g, '"')
      .replace(/&#39;/g, "'")
      .replace(/&amp;/g, "&");
  const wellFormed = (html: string) =>
    /^[^<>]*(<mark>[^<>]*<\/mark>[^<>]*)*$/.test(html) && ![MARK_START, MARK_END, LT, GT].some((c) => html.includes(c));

  test("text is HTML-escaped and matches are wrapped in <mark>", () => {
    expect(markHighlights(`changed the ${hit("oil")} & "filter" at Bob's`)).toBe(
      "changed the <mark>oil</mark> &amp; &quot;filter&quot; at Bob&#39;s",
    );
    expect(markHighlights(`${hit("a")} ${hit("b")}`)).toBe("<mark>a</mark> <mark>b</mark>");
    expect(markHighlights("")).toBe("");
  });

  test("markup in the text stays text: <script> and a forged <mark> are escaped", () => {
    const out = markHighlights(`<script>alert("x")</script> <mark>fake</mark> <img src=x onerror=alert(1)> ${hit("real")}`);
    expect(out).toBe(
      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &lt;mark&gt;fake&lt;/mark&gt; &lt;img src=x onerror=alert(1)&gt; <mark>real</mark>",
    );
    expect(out).not.toContain("<script");
    expect(out).not.toContain("<img");
  });

  test("the < and > stand-ins come back as escaped brackets", () => {
    expect(markHighlights(`x${LT}y and y${GT}z ${hit("oil")}`)).toBe("x&lt;y and y&gt;z <mark>oil</mark>");
  });

  test("stray sentinels (\\u0002, \\u0003) in the text still give balanced marks", () => {
    expect(markHighlights(`${MARK_END}x${MARK_START}y`)).toBe("x<mark>y</mark>"); // stray close dropped, open one closed at the end
    expect(markHighlights(`${MARK_START}${MARK_START}a${MARK_END}${MARK_END}b`)).toBe("<mark>a</mark>b");
    expect(markHighlights(`${MARK_START}<script>`)).toBe("<mark>&lt;script&gt;</mark>");
    expect(markHighlights(MARK_START)).toBe("<mark></mark>");
  });

  test("any mix of sentinels, markup and text comes out well-formed and reads back as the text", () => {
    const alphabet = [MARK_START, MARK_END, LT, GT, "<", ">", "&", '"', "'", "a", " ", "é", "/"];
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let run = 0; run < 500; run++) {
      let input = "";
      for (let i = next() % 20; i > 0; i--) input += alphabet[next() % alphabet.length];
      const out = markHighlights(input);
      expect(wellFormed(out)).toBe(true);
      expect(asText(out)).toBe(input.replaceAll(MARK_START, "").replaceAll(MARK_END, "").replaceAll(LT, "<").replaceAll(GT, ">"));
    }
  });
});
