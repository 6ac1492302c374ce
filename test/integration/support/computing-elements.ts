/** Watching pilots of a real computing element until they reach the states a test expects. */
import type { ComputingElement, ComputingElementConfig, PilotSpec, PilotState } from '#shared/ce/index.ts';
import { validateConfig } from '#shared/config/load.ts';

/** A pilot whose "muon" is `sh -c <script>`: the CE's `command` setting is `['sh', '-c']`. */
export const shellPilot = (script: string, env: Record<string, string> = {}): PilotSpec => ({
  arguments: [script, 'muon-pilot'],
  env,
});

/** Polls `status` until every reference is in one of `wanted`; returns every state seen per reference. */
export async function waitForStates(
  ce: ComputingElement,
  references: readonly string[],
  wanted: readonly PilotState[],
  timeoutMs = 20_000,
): Promise<Map<string, PilotState[]>> {
  const seen = new Map<string, PilotState[]>(references.map((reference) => [reference, []]));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const states = await ce.status(references);
    for (const [reference, state] of states) {
      const history = seen.get(reference) ?? [];
      if (history.at(-1) !== state) history.push(state);
      seen.set(reference, history);
    }
    if ([...states.values()].every((state) => wanted.includes(state))) return seen;
    if (Date.now() > deadline) {
      throw new Error(
        `pilots did not reach ${wanted.join('/')} in ${timeoutMs} ms: ${JSON.stringify([...seen])}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

/** One computing element's configuration, validated and defaulted as the configuration loader does. */
export function computingElementConfig(raw: Record<string, unknown>): ComputingElementConfig {
  const result = validateConfig({
    auth: { issuer: 'https://idp.example/', audience: ['muon'] },
    virtualOrganizations: { vo: { defaultGroup: 'user', groups: { user: { properties: ['NormalUser'] } } } },
    sites: { SITE: { computingElements: { ce: raw } } },
  });
  if (!result.ok) throw new Error(`invalid computing element: ${JSON.stringify(result.issues)}`);
  const config = result.config.sites.SITE?.computingElements.ce;
  if (!config) throw new Error('no computing element');
  return config;
}
