import { lookUpEntry } from "../../cache/entries.ts";
import { EXIT, UsageError } from "../../core/errors.ts";
import { didYouMeanTail } from "../../core/suggest.ts";
import { describeRemote, openRemote } from "../../remote/open.ts";
import type { RemoteTier } from "../../remote/tier.ts";
import type { CliIO } from "../io.ts";
import { openProject, type Project } from "../project.ts";
import { lockProject } from "../project-lock.ts";
import { planProject } from "./plan.ts";

/** The project and its remote tier; a usage error when no remote is configured. */
async function withRemote(io: CliIO): Promise<{ project: Project; remote: RemoteTier }> {
  const project = await openProject(io.projectDir, [], (m) => io.stderr(`warning: ${m}`));
  const remote = openRemote(project, (m) => io.stderr(`warning: ${m}`));
  if (!remote) {
    throw new UsageError(
      "no remote cache is configured",
      "set cache.remote.url in pipeline.yaml or PIPELINE_REMOTE_CACHE=URL (and a mode other than off)",
    );
  }
  return { project, remote };
}

/**
 * `pipeline cache push`: the entries and objects of the current pipeline's stages that are in
 * the local cache go to the remote (objects it already has are skipped), signed.
 */
export async function pushCache(io: CliIO): Promise<number> {
  const { project, remote } = await withRemote(io);
  if (!remote.writable) {
    await remote.close();
    throw new UsageError(
      `the remote cache ${remote.settings.display} is not writable here`,
      "push needs PIPELINE_REMOTE_CACHE_MODE=readwrite (or cache.remote.mode) and PIPELINE_CACHE_SIGNING_KEY",
    );
  }
  const release = await lockProject(project.store.root, io, { wait: true, command: "pipeline cache push", log: io.stdout });
  try {
    const rows = await planProject(project);
    let pushed = 0;
    for (const row of rows) {
      const found = row.key && row.result.status === "cached" ? await lookUpEntry(project.store, row.stage, row.key) : undefined;
      if (found?.warning) io.stderr(`warning: ${found.warning}`);
      const entry = found?.entry;
      if (!entry) continue;
      remote.push(entry);
      pushed++;
    }
    await remote.close();
    io.stdout(`pushed ${pushed} of ${rows.length} stages' entries (the others are not in the local cache)`);
    io.stdout(describeRemote(remote));
    return remote.stats.errors > 0 ? EXIT.stageFailed : EXIT.ok;
  } finally {
    release();
    await remote.close();
  }
}

/** `pipeline cache pull`: everything the current pipeline's cached stages hold comes from the remote; nothing runs. */
export async function pullCache(io: CliIO): Promise<number> {
  const { project, remote } = await withRemote(io);
  const release = await lockProject(project.store.root, io, { wait: true, command: "pipeline cache pull", log: io.stdout });
  try {
    const rows = await planProject(project, remote);
    let pulled = 0;
    for (const row of rows) {
      if (row.result.from !== "remote" || !row.key) continue;
      if (await remote.adopt(row.key)) pulled++;
      else io.stdout(`${row.stage}: could not download every object of its entry; it stays on the remote`);
    }
    const local = rows.filter((r) => r.result.from === "local").length;
    const missing = rows.filter((r) => r.result.status === "would-run" || r.state === "waiting").length;
    io.stdout(`pulled ${pulled} stages; ${local} were already local, ${missing} are in neither cache (\`pipeline run\` computes them)`);
    io.stdout(describeRemote(remote));
    return EXIT.ok;
  } finally {
    release();
    await remote.close();
  }
}

/** `pipeline cache status`: is the remote reachable, and where is each stage's entry. */
export async function remoteStatus(io: CliIO, json: boolean): Promise<number> {
  const { project, remote } = await withRemote(io);
  try {
    const reachable = await remote.reachable();
    const rows = reachable ? await planProject(project, remote) : await planProject(project);
    const where = (r: (typeof rows)[number]) =>
      r.result.from ?? (r.state === "effect" ? "effect" : r.state === "waiting" ? "waiting" : "missing");
    if (json) {
      io.stdout(
        JSON.stringify({
          remote: { url: remote.settings.display, mode: remote.settings.mode, reachable },
          stages: rows.map((r) => ({ name: r.stage, key: r.key, where: where(r) })),
        }),
      );
      return EXIT.ok;
    }
    io.stdout(`remote ${remote.settings.display} (${remote.settings.mode}): ${reachable ? "reachable" : "not reachable"}`);
    const width = Math.max(...rows.map((r) => r.stage.length)) + 2;
    for (const row of rows) io.stdout(`${row.stage.padEnd(width)}${where(row)}`);
    return EXIT.ok;
  } finally {
    await remote.close();
  }
}

export function cacheSubcommand(name: string | undefined): void {
  if (name && CACHE_SUBCOMMANDS.includes(name)) return;
  if (!name) throw new UsageError("cache takes a subcommand: verify, push, pull, status or keygen", "e.g. `pipeline cache status`");
  throw new UsageError(
    `unknown cache command "${name}"${didYouMeanTail(name, CACHE_SUBCOMMANDS)}`,
    "cache takes verify, push, pull, status or keygen",
  );
}

const CACHE_SUBCOMMANDS = ["verify", "push", "pull", "status", "keygen"];
