/**
 * Extension classes (`cwltool:CUDARequirement`, `dirac:Job`) may be written with a prefix declared
 * in `$namespaces` or as the expanded IRI. Both spellings must be recognised, so classes are
 * compared after expansion. Nothing here is ever fetched: `$namespaces` and `$schemas` are names.
 */

export const CWLTOOL_NAMESPACE = 'http://commonwl.org/cwltool#';

/**
 * muon's IRI for the `dirac:` prefix. Any IRI bound to `dirac` is accepted as well, and so is the
 * JSON-schema location dirac-cwl binds it to (`.../dirac-metadata.json#/$defs/`).
 */
export const DIRAC_NAMESPACE = 'https://diracgrid.org/cwl#';

export type Namespaces = Readonly<Record<string, string>>;

/** Prefixes users write without declaring, resolved as cwltool and dirac-cwl documents expect. */
const WELL_KNOWN: Namespaces = { cwltool: CWLTOOL_NAMESPACE, dirac: DIRAC_NAMESPACE };

/** True when the class is written as `prefix:Name` rather than as a bare CWL class or an IRI. */
export const isPrefixed = (cls: string): boolean => /^[A-Za-z_][\w.-]*:(?!\/\/)/.test(cls);

export const prefixOf = (cls: string): string | undefined =>
  isPrefixed(cls) ? cls.slice(0, cls.indexOf(':')) : undefined;

/** `prefix:Name` → IRI using the document's namespaces, then the well-known ones. */
export function expandClass(cls: string, namespaces: Namespaces | undefined): string {
  const prefix = prefixOf(cls);
  if (prefix === undefined) return cls;
  const iri = namespaces?.[prefix] ?? WELL_KNOWN[prefix];
  return iri === undefined ? cls : iri + cls.slice(prefix.length + 1);
}

/** True when the prefix of a prefixed class is declared in `$namespaces`. */
export const isDeclared = (cls: string, namespaces: Namespaces | undefined): boolean => {
  const prefix = prefixOf(cls);
  return prefix === undefined || namespaces?.[prefix] !== undefined;
};

export function isCudaRequirement(cls: string, namespaces: Namespaces | undefined): boolean {
  return expandClass(cls, namespaces) === `${CWLTOOL_NAMESPACE}CUDARequirement`;
}

/** Where dirac-cwl's JSON schema defines its hint classes. */
const DIRAC_CWL_DEFS = 'dirac-metadata.json#/$defs/';

/**
 * The name of a dirac: class (`Job` of `dirac:Job`, `Scheduling`, ...): after DIRAC's namespace, the
 * document's `dirac` prefix, or dirac-cwl's schema (`.../dirac-metadata.json#/$defs/`); else undefined.
 */
export function diracHintName(cls: string, namespaces: Namespaces | undefined): string | undefined {
  const expanded = expandClass(cls, namespaces);
  const name = (namespace: string) => expanded.slice(namespace.length);
  const defs = expanded.lastIndexOf(DIRAC_CWL_DEFS);
  const candidates = [
    DIRAC_NAMESPACE,
    namespaces?.dirac,
    defs === -1 ? undefined : expanded.slice(0, defs + DIRAC_CWL_DEFS.length),
  ];
  return candidates
    .filter((namespace): namespace is string => namespace !== undefined && expanded.startsWith(namespace))
    .map(name)
    .find((rest) => /^[^/#]+$/.test(rest));
}

export const isDiracJob = (cls: string, namespaces: Namespaces | undefined): boolean =>
  diracHintName(cls, namespaces) === 'Job';
