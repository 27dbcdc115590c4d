/**
 * Module resolution hooks (node:module register) for a project's plugins: the bare specifier
 * "pipeline" resolves to the running pipeline's public API, wherever pipeline is installed
 * (globally, or in no node_modules the plugin could reach), so a plugin shares the engine's
 * module instances. Everything else resolves as Node would.
 */
interface ResolveContext {
  conditions: string[];
  parentURL?: string;
}
type NextResolve = (specifier: string, context: ResolveContext) => Promise<{ url: string }>;

let apiUrl = "";

export function initialize(data: { apiUrl: string }): void {
  apiUrl = data.apiUrl;
}

export async function resolve(
  specifier: string,
  context: ResolveContext,
  next: NextResolve,
): Promise<{ url: string; shortCircuit?: boolean }> {
  if (specifier === "pipeline") return { url: apiUrl, shortCircuit: true };
  return next(specifier, context);
}
