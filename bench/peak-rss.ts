import { spawnSync } from "node:child_process";

export interface Timed {
  seconds: number;
  maxRssMiB: number;
  code: number | null;
  stdout: string;
}

/** Runs a command under /usr/bin/time to get its peak RSS (worker threads included: same process). */
export function timed(cmd: string, args: string[]): Timed {
  const started = performance.now();
  const result = spawnSync("/usr/bin/time", ["-f", "MAXRSS_KB=%M", cmd, ...args], {
    encoding: "utf8",
    maxBuffer: 1 << 28,
    env: { ...process.env, CI: "1" },
  });
  const seconds = (performance.now() - started) / 1000;
  const rss = Number(/MAXRSS_KB=(\d+)/.exec(result.stderr)?.[1] ?? NaN) / 1024;
  if (result.status !== 0) process.stderr.write(result.stderr.slice(-4000));
  return { seconds: round(seconds), maxRssMiB: round(rss), code: result.status, stdout: result.stdout };
}

export function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** The last line of a `--json` run's stdout, parsed; undefined when it is not JSON. */
export function lastJsonLine(text: string): unknown {
  const line = text.trim().split("\n").at(-1) ?? "";
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}
