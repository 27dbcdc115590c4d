import { spawn, spawnSync } from "node:child_process";
import { stripVTControlCharacters } from "node:util";
import { BIN } from "./cli.ts";

/** util-linux `script`, which runs a command in a pseudo-terminal and (with -e) returns its exit code */
export const HAS_SCRIPT = spawnSync("script", ["--version"], { stdio: "ignore" }).status === 0;

export interface TerminalRun {
  /** everything the terminal showed so far, ANSI escapes and carriage returns removed */
  screen(): string;
  /** bytes typed at the keyboard: "\x03" is Ctrl-C */
  type(bytes: string): void;
  /** resolves once `text` has appeared on the screen */
  waitFor(text: string, ms?: number): Promise<void>;
  done: Promise<{ code: number | null; screen: string }>;
}

const quote = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Runs the built CLI in `dir` on a real pseudo-terminal (120 x 40), as a user's shell would:
 * CI unset, TERM set, so `pipeline run` picks the listr2 rows.
 */
export function runInTerminal(dir: string, args: readonly string[]): TerminalRun {
  if (!HAS_SCRIPT) throw new Error("the terminal tests need util-linux `script` (Debian: apt-get install bsdutils)");
  const command = ["stty cols 120 rows 40;", "exec", ...[process.execPath, BIN, "-C", dir, ...args].map(quote)].join(" ");
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: "xterm-256color" };
  delete env.CI;
  const child = spawn("script", ["-qfec", command, "/dev/null"], { env, stdio: ["pipe", "pipe", "pipe"] });
  let raw = "";
  child.stdout.on("data", (d: Buffer) => (raw += d.toString()));
  child.stderr.on("data", (d: Buffer) => (raw += d.toString()));
  const screen = () => stripVTControlCharacters(raw).replaceAll("\r", "");
  const done = new Promise<{ code: number | null; screen: string }>((resolve) =>
    child.on("close", (code) => resolve({ code, screen: screen() })),
  );
  return {
    screen,
    type: (bytes) => child.stdin.write(bytes),
    async waitFor(text, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (!screen().includes(text)) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`"${text}" never appeared on the terminal:\n${screen()}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    done,
  };
}
