/**
 * Reading sites' and jobs' platform and site values against the configuration document, the same
 * way at submission, in JobScheduling and in the matcher.
 */
import type { MuonConfig } from '#shared/config/schema.ts';

/** DIRAC's "no constraint" value: `ANY`, in any case and with any punctuation around it. */
export const isAny = (value: string): boolean => value.replace(/[^A-Za-z]/g, '').toLowerCase() === 'any';

/**
 * DIRAC platforms able to run the requested one: the platform itself if it is a DIRAC platform,
 * plus every platform whose OS compatibility list names it (`OSCompatibility`). Empty for none
 * requested or ANY; also empty for an unknown platform, which submission refuses.
 */
export function compatiblePlatforms(config: MuonConfig, requested: string | undefined): string[] {
  if (!requested || isAny(requested)) return [];
  const platforms = new Set<string>();
  for (const [platform, compatible] of Object.entries(config.platforms)) {
    if (platform === requested || compatible.includes(requested)) platforms.add(platform);
  }
  return [...platforms];
}
