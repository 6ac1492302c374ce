/**
 * Where the pilot says it runs: a site and one of its computing elements from the configuration.
 * Without options, the first Local computing element (what `npm start` and a laptop pilot want).
 */
import type { MuonConfig } from '#shared/config/schema.ts';
import { ConfigurationError } from '#shared/errors.ts';

export type ComputingElementConfig = MuonConfig['sites'][string]['computingElements'][string];

export interface ChosenComputingElement<CE extends ComputingElementConfig = ComputingElementConfig> {
  readonly site: string;
  readonly gridCE: string;
  readonly ce: CE;
}

/** Every computing element of the configuration, site by site. */
export const computingElements = (config: MuonConfig): ChosenComputingElement[] =>
  Object.entries(config.sites).flatMap(([site, siteConfig]) =>
    Object.entries(siteConfig.computingElements).map(([gridCE, ce]) => ({ site, gridCE, ce })),
  );

export function chooseComputingElement(
  config: MuonConfig,
  site?: string,
  gridCE?: string,
): ChosenComputingElement {
  const all = computingElements(config);
  const candidates = all.filter(
    (entry) =>
      (site === undefined || entry.site === site) && (gridCE === undefined || entry.gridCE === gridCE),
  );
  const chosen =
    site === undefined && gridCE === undefined
      ? candidates.find((entry) => entry.ce.type === 'Local')
      : (candidates.find((entry) => entry.ce.type === 'Local') ?? candidates[0]);
  if (chosen) return chosen;
  if (site === undefined && gridCE === undefined) {
    throw new ConfigurationError(
      'The configuration has no Local computing element: pass --site and --ce to say where this pilot runs.',
    );
  }
  if (site !== undefined && !(site in config.sites)) {
    throw new ConfigurationError(
      `Site "${site}" is not in the configuration (sites: ${Object.keys(config.sites).join(', ') || 'none'}).`,
    );
  }
  const known = all
    .filter((entry) => site === undefined || entry.site === site)
    .map((entry) => `${entry.site}/${entry.gridCE}`);
  throw new ConfigurationError(
    `No computing element "${gridCE ?? ''}"${site ? ` at ${site}` : ''} in the configuration (known: ${known.join(', ') || 'none'}).`,
  );
}
