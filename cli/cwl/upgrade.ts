/**
 * Files of different CWL versions in one packed document. A packed document has one cwlVersion, so
 * it gets the newest version of its files and the processes of older files are upgraded as cwltool
 * upgrades a v1.0 document when it loads one (cwltool/update.py, v1_0to1_1): cwltool's classes
 * renamed to the standard ones, workflow input bindings reduced to `loadContents`, and the v1.0
 * behaviour made explicit with hints (deep directory listings, network access). v1.1 needs nothing.
 */
import { CWL_VERSIONS, type CwlVersion, isCwlVersion, RENAMED_IN_V1_1 } from '#shared/cwl/index.ts';
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

/** A process (as written: lists or maps) of version `from`, as a process of a later version. */
export function upgradeProcess(process: Fields, from: CwlVersion): Fields {
  if (from !== 'v1.0') return process;
  const out: Fields = { ...process };
  out.requirements = renameClasses(process.requirements);
  out.hints = withV10Hints(renameClasses(process.hints));
  if (out.requirements === undefined) delete out.requirements;
  if (process.class !== 'CommandLineTool') out.inputs = mapEntries(process.inputs, onlyLoadContents);
  if (process.class === 'Workflow') {
    out.steps = mapEntries(process.steps, (step) =>
      isRecord(step) && isRecord(step.run) ? { ...step, run: upgradeProcess(step.run, from) } : step,
    );
  }
  return out;
}

function renameClasses(requirements: unknown): unknown {
  if (Array.isArray(requirements)) {
    return requirements.map((entry) =>
      isRecord(entry) && typeof entry.class === 'string' && entry.class in RENAMED_IN_V1_1
        ? { ...entry, class: RENAMED_IN_V1_1[entry.class] }
        : entry,
    );
  }
  if (!isRecord(requirements)) return requirements;
  return Object.fromEntries(
    Object.entries(requirements).map(([cls, value]) => [RENAMED_IN_V1_1[cls] ?? cls, value]),
  );
}

/** What v1.0 did without being asked, as hints: the process's own say still wins. */
function withV10Hints(hints: unknown): unknown {
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

function onlyLoadContents(input: unknown): unknown {
  if (!isRecord(input) || !isRecord(input.inputBinding)) return input;
  const { loadContents } = input.inputBinding;
  return { ...input, inputBinding: loadContents === undefined ? {} : { loadContents } };
}

function mapEntries(value: unknown, fn: (item: unknown) => unknown): unknown {
  if (Array.isArray(value)) return value.map(fn);
  return isRecord(value) ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fn(v)])) : value;
}
