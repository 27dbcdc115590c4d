import { parsePublicKey } from "../cache/signing.ts";
import { ConfigError, describeError } from "../core/errors.ts";
import type { ResolvedPipeline } from "../core/graph.ts";

export type RemoteMode = "off" | "read" | "readwrite";

/** The remote cache a command talks to, once pipeline.yaml and the environment are combined. */
export interface RemoteSettings {
  /** base URL without credentials and without a trailing slash */
  readonly base: string;
  /** the URL as it may be printed: credentials never appear */
  readonly display: string;
  readonly mode: Exclude<RemoteMode, "off">;
  /** `Authorization` header value (bearer token or basic auth), from the environment only */
  readonly authorization: string | undefined;
  readonly trust: readonly string[];
  readonly timeoutMs: number;
  /** path of the Ed25519 private key a writer signs entries with */
  readonly signingKeyPath: string | undefined;
}

/**
 * pipeline.yaml's `cache.remote` with the environment on top (it wins, as CI sets it):
 * PIPELINE_REMOTE_CACHE (URL), PIPELINE_REMOTE_CACHE_MODE, PIPELINE_REMOTE_CACHE_TOKEN,
 * PIPELINE_CACHE_SIGNING_KEY. Credentials come from the environment (a token, or user:password
 * in the environment's URL); a URL with credentials in pipeline.yaml is refused, since the yaml
 * is committed. Undefined when no remote is configured or the mode is off.
 */
export function remoteSettings(pipeline: Pick<ResolvedPipeline, "remote">, env: NodeJS.ProcessEnv): RemoteSettings | undefined {
  const yaml = pipeline.remote;
  const mode = (env.PIPELINE_REMOTE_CACHE_MODE || yaml?.mode || "read") as RemoteMode;
  if (!["off", "read", "readwrite"].includes(mode)) {
    throw new ConfigError("PIPELINE_REMOTE_CACHE_MODE", [`"${mode}" is not a remote cache mode; use off, read or readwrite`]);
  }
  const fromEnv = env.PIPELINE_REMOTE_CACHE || undefined;
  const text = fromEnv ?? yaml?.url;
  if (!text || mode === "off") return undefined;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigError(fromEnv ? "PIPELINE_REMOTE_CACHE" : "pipeline.yaml", [
      "cache.remote.url is not a URL (not shown: it may hold credentials); give e.g. https://cache.example.com/pipeline",
    ]);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(fromEnv ? "PIPELINE_REMOTE_CACHE" : "pipeline.yaml", [
      `cache.remote.url: ${url.protocol} is not supported; use http or https`,
    ]);
  }
  if (!fromEnv && (url.username || url.password)) {
    throw new ConfigError("pipeline.yaml", [
      "cache.remote.url: holds credentials, and pipeline.yaml is committed; " +
        "put the URL with credentials in PIPELINE_REMOTE_CACHE or a token in PIPELINE_REMOTE_CACHE_TOKEN",
    ]);
  }
  const trust = yaml?.trust ?? [];
  const badKeys = trust.flatMap((text, i) => {
    try {
      parsePublicKey(text);
      return [];
    } catch (error) {
      return [`cache.remote.trust.${i}: ${describeError(error)}`];
    }
  });
  if (badKeys.length > 0) throw new ConfigError("pipeline.yaml", badKeys);
  const basic =
    url.username || url.password
      ? `Basic ${Buffer.from(`${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`).toString("base64")}`
      : undefined;
  const token = env.PIPELINE_REMOTE_CACHE_TOKEN || undefined;
  url.username = "";
  url.password = "";
  const base = url.toString().replace(/\/+$/, "");
  const shown = new URL(base);
  shown.search = ""; // a query string may carry a token
  return {
    base,
    display: shown.toString().replace(/\/+$/, ""),
    mode,
    authorization: token ? `Bearer ${token}` : basic,
    trust,
    timeoutMs: yaml?.timeout_ms ?? 10_000,
    signingKeyPath: env.PIPELINE_CACHE_SIGNING_KEY || undefined,
  };
}
