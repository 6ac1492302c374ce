/**
 * Tags a job requires, derived as DIRAC's JobScheduling does (`_getTagsFromManifest`): processors,
 * whole node, memory, GPUs, plus the user's own tags.
 */
import type { JobDescription } from '#shared/jobs/model.ts';

export function requiredTags(description: JobDescription): string[] {
  const tags = new Set<string>();
  const min = description.minProcessors;
  const max = description.maxProcessors;
  if (max === undefined) {
    // Exactly `min` processors.
    if (min > 1) tags.add(`${min}Processors`).add('MultiProcessor');
  } else {
    if (min > 1) tags.add(`${min}Processors`);
    if (max === -1 || max > 1) tags.add('MultiProcessor');
  }
  if (description.wholeNode) tags.add('WholeNode').add('MultiProcessor');
  // Pilots advertise memory as 2GB, 3GB, ... (DIRAC's matcher): a smaller need is no constraint.
  const ramGb = description.maxRamMb === undefined ? 0 : Math.ceil(description.maxRamMb / 1024);
  if (ramGb >= 2) tags.add(`${ramGb}GB`);
  if (description.gpus > 0) tags.add('GPU');
  for (const tag of description.tags) tags.add(tag);
  return [...tags];
}
