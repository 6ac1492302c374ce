/**
 * Files of different CWL versions in one packed document. A packed document has one cwlVersion, so
 * it gets the newest version of its files and the processes of older files are upgraded as cwltool
 * upgrades a v1.0 document when it loads one (cwltool/update.py, v1_0to1_1): upgradeProcess, shared
 * with the validator, and the v1.0 behaviour made explicit with hints (deep directory listings,
 * network access). v1.1 needs nothing.
 */
import { CWL_VERSIONS, type CwlVersion, isCwlVersion, mapEntries } from '#shared/cwl/index.ts';
import { isRecord } from '#shared/cwl/types.ts';

type Fields = Record<string, unknown>;

/** The newest of the versions given, or undefined when one of them is not a CWL version. */
export function newestVersion(versions: readonly unknown[]): CwlVersion | undefined {
  if (!versions.every(isCwlVersion)) return undefined;
  return versions.reduce<CwlVersion | undefined>(
    (newest, version) =>
      newest === undefined || CWL_VERSIONS.indexOf(version) > CWL_VERSIONS.indexOf(newest) ? version : newest,
    undefined,
  );
}

/**
 * A v1.0 process upgraded (upgradeProcess) with v1.0's behaviour made explicit as hints, in it and
 * in the processes its steps write inline; other versions need no hints.
 */
export function withV10Hints(process: unknown, from: CwlVersion): unknown {
  if (from !== 'v1.0' || !isRecord(process)) return process;
  const out: Fields = { ...process, hints: v10Hints(process.hints) };
  if (process.class === 'Workflow' && process.steps !== undefined) {
    out.steps = mapEntries(process.steps, (step) =>
      isRecord(step) && isRecord(step.run) ? { ...step, run: withV10Hints(step.run, from) } : step,
    );
  }
  return out;
}

/** What v1.0 did without being asked, as hints: the process's own say still wins. */
function v10Hints(hints: unknown): unknown {
  const added: Fields = {
    LoadListingRequirement: { loadListing: 'deep_listing' },
    NetworkAccess: { networkAccess: true },
  };
  if (isRecord(hints)) return { ...added, ...hints };
  const list = Array.isArray(hints) ? hints : [];
  const present = new Set(list.map((entry) => (isRecord(entry) ? entry.class : undefined)));
  const missing = Object.entries(added)
    .filter(([cls]) => !present.has(cls))
    .map(([cls, fields]) => ({ class: cls, ...(fields as Fields) }));
  return [...missing, ...list];
}
