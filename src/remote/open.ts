import type { Project } from "../cli/project.ts";
import { httpDriver } from "./http-driver.ts";
import { remoteSettings } from "./settings.ts";
import { RemoteTier } from "./tier.ts";
import { entryTrust } from "./trust.ts";

/** The project's remote tier, or undefined when none is configured (or its mode is off). */
export function openRemote(project: Project, warn: (message: string) => void): RemoteTier | undefined {
  const settings = remoteSettings(project.pipeline, process.env);
  if (!settings) return undefined;
  return new RemoteTier(settings, httpDriver(settings), project.store, entryTrust(settings), warn);
}

/** One line after a run: what the remote gave and took. */
export function describeRemote(remote: RemoteTier): string {
  const s = remote.stats;
  const mb = (bytes: number) => `${(bytes / 1048576).toFixed(1)} MB`;
  const refused = s.refused > 0 ? `, ${s.refused} uploads refused` : "";
  const transfer = `downloaded ${mb(s.downloaded_bytes)}, uploaded ${mb(s.uploaded_bytes)}`;
  return `remote ${remote.settings.display}: ${s.hits} hits, ${s.misses} misses, ${transfer}, ${s.errors} errors${refused}`;
}

/**
 * The CI job that produced an entry, when the environment names one (explain shows it):
 * PIPELINE_CI_JOB, else GitHub Actions', GitLab's or Buildkite's own variables.
 */
export function ciJobId(env: NodeJS.ProcessEnv): string | undefined {
  if (env.PIPELINE_CI_JOB) return env.PIPELINE_CI_JOB;
  if (env.GITHUB_RUN_ID) {
    const attempt = env.GITHUB_RUN_ATTEMPT ? ` attempt ${env.GITHUB_RUN_ATTEMPT}` : "";
    return `github-actions run ${env.GITHUB_RUN_ID}${attempt}${env.GITHUB_JOB ? ` job ${env.GITHUB_JOB}` : ""}`;
  }
  if (env.CI_JOB_ID) return `gitlab job ${env.CI_JOB_ID}`;
  if (env.BUILDKITE_JOB_ID) return `buildkite job ${env.BUILDKITE_JOB_ID}`;
  return undefined;
}
