#!/usr/bin/env node
import { EXIT } from "../core/errors.ts";
import { main } from "./main.ts";

// First SIGINT/SIGTERM: abort the run so stages stop and the cache stays consistent.
// A second one exits at once.
const controller = new AbortController();
let signals = 0;
for (const name of ["SIGINT", "SIGTERM"] as const) {
  process.on(name, () => {
    signals++;
    if (signals > 1) process.exit(EXIT.interrupted);
    process.stderr.write(`\n${name.toLowerCase()}: stopping (again to force)\n`);
    controller.abort();
  });
}

// `pipeline status | head` closes our stdout early: that is the reader's choice, not an error
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

process.exitCode = await main(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  isTTY: process.stdout.isTTY === true,
  signal: controller.signal,
});
