import { describe, expect, test } from "bun:test";
import { closeSync, mkdtempSync, openSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BatchedLines } from "./batched-lines";

const tempFile = () => join(mkdtempSync(join(tmpdir(), "tcc-lines-")), "out.log");

describe("BatchedLines (the request log's destination)", () => {
  test("holds lines until minLength characters, then writes them all, in order", () => {
    const path = tempFile();
    const fd = openSync(path, "w");
    const out = new BatchedLines(fd, 30, 60_000);
    out.write("first line ü\n");
    out.write("second line\n");
    expect(readFileSync(path, "utf8")).toBe("");
    out.write("third line reaches it\n");
    expect(readFileSync(path, "utf8")).toBe("first line ü\nsecond line\nthird line reaches it\n");
    out.write("fourth\n");
    out.flush();
    expect(readFileSync(path, "utf8").split("\n")).toEqual(["first line ü", "second line", "third line reaches it", "fourth", ""]);
    closeSync(fd);
  });

  test("what is left is written when the process exits", async () => {
    const script = `import { BatchedLines } from ${JSON.stringify(join(import.meta.dir, "batched-lines.ts"))};
      const out = new BatchedLines(1);
      for (let i = 0; i < 3; i++) out.write("line " + i + "\\n");`;
    const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe" });
    expect(await new Response(proc.stdout).text()).toBe("line 0\nline 1\nline 2\n");
    expect(await proc.exited).toBe(0);
  });

  test("a closed destination drops lines instead of throwing into the request", () => {
    const path = tempFile();
    const fd = openSync(path, "w");
    closeSync(fd);
    const out = new BatchedLines(fd, 1, 60_000);
    expect(() => out.write("lost\n")).not.toThrow();
    expect(() => out.write("lost too\n")).not.toThrow();
  });
});
