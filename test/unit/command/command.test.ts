import { execFileSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { interpolate, placeholders, shellQuote, type CommandSpec } from "../../../src/core/command.ts";
import { LineTail } from "../../../src/command/tail.ts";

const spec = (cmd: CommandSpec["cmd"]): CommandSpec => ({
  cmd,
  deps: { script: { kind: "file", path: "scripts/a b.py" } },
  outs: { plot: { path: "out/plot.svg", kind: "file" } },
  declaredParams: { title: "x" },
});

describe("command interpolation", () => {
  it("shell-quotes values in a shell string, so /bin/sh sees each as one word", () => {
    const title = `it's "a" $HOME; rm -rf /`;
    const { shell } = interpolate(spec("printf '%s\\n' ${params.title} ${deps.script} $HOME_NOT_OURS"), { title }) as { shell: string };
    const words = execFileSync("/bin/sh", ["-c", shell], { env: { HOME_NOT_OURS: "kept-for-the-shell" } })
      .toString()
      .split("\n");
    expect(words.slice(0, 3)).toEqual([title, "scripts/a b.py", "kept-for-the-shell"]);
  });

  it("puts values verbatim into argv items, numbers and lists as JSON, null as nothing", () => {
    const inv = interpolate(spec(["run", "--n=${params.title}", "${outs.plot}", "${params.title}"]), { title: 0.5 });
    expect(inv).toEqual({ argv: ["run", "--n=0.5", "out/plot.svg", "0.5"] });
    expect(interpolate(spec(["${params.title}"]), { title: [1, "a"] })).toEqual({ argv: ['[1,"a"]'] });
    expect(interpolate(spec(["${params.title}"]), { title: null })).toEqual({ argv: [""] });
  });

  it("finds every placeholder, ours or a typo, but not shell variables", () => {
    expect(placeholders("echo ${params.a} $HOME ${HOME} ${param.b}").map((p) => p.text)).toEqual(["${params.a}", "${param.b}"]);
  });

  it("leaves plain words unquoted", () => {
    expect(shellQuote("data/x.json")).toBe("data/x.json");
    expect(shellQuote("")).toBe("''");
  });
});

describe("LineTail", () => {
  it("keeps the last lines, splits on \\r too, cuts long lines and joins split UTF-8", () => {
    const tail = new LineTail(2, 5);
    const euro = Buffer.from("€");
    expect(tail.push(Buffer.from("one\ntwo\r"))).toEqual(["one", "two"]);
    tail.push(euro.subarray(0, 1));
    expect(tail.push(Buffer.concat([euro.subarray(1), Buffer.from("3456789\n")]))).toEqual(["€3456... (line cut at 5 characters)"]);
    tail.push(Buffer.from("last"));
    expect(tail.end()).toEqual(["last"]);
    expect(tail.lines()).toEqual(["€3456... (line cut at 5 characters)", "last"]);
    expect(tail.total).toBe(4);
  });
});
