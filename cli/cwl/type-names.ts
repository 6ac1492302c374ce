/**
 * Type names across files. Schema-salad resolves a SchemaDefRequirement's `name: T` against the
 * file it was written in (an `$import`ed `types.yml` gives `types.yml#T`), and a reference such as
 * `types.yml#T` against the file that writes it. Once everything is one document, both must read
 * the same: as `cwltool --pack` writes them, `#<graph id of the file>/T`.
 */
import { BUILTIN_TYPES, isRecord, TYPE_DSL } from '#shared/cwl/types.ts';
import { at, type Origin, resolveReference } from './load.ts';

/** Names that are never a declared type: CWL's own, and the stream shorthands of a tool. */
const BUILTINS = new Set([...BUILTIN_TYPES, 'stdin', 'stdout', 'stderr']);

/** A resolved name: the file it belongs to and its fragment there (`T`, `main/T`). */
export interface TypeUri {
  readonly file: string;
  readonly fragment: string;
}

export interface TypeContext {
  /** The packed spelling of a resolved name. */
  relativize(uri: TypeUri): string;
  /** Records a name a schema declares. */
  declare(uri: TypeUri): void;
  /**
   * Whether a name is declared anywhere in the files; a reference to no declared name keeps its
   * spelling, so that the validator names it as the user wrote it.
   */
  isDeclared(uri: TypeUri): boolean;
  /** The origin to use for a value: a different file when it was `$import`ed. */
  enter(value: unknown, origin: Origin): Origin;
}

type Fields = Record<string, unknown>;

function resolveName(name: string, origin: Origin): TypeUri | undefined {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(name) && !name.startsWith('file:')) return undefined;
  if (!name.includes('#')) return { file: origin.file, fragment: name };
  const { file, fragment = '' } = resolveReference(origin.file, name);
  return { file, fragment };
}

/** A type expression (`T`, `T[]?`, a union, an array/record/enum schema) with its names packed. */
export function packType(type: unknown, origin: Origin, context: TypeContext): unknown {
  if (typeof type === 'string') {
    const match = TYPE_DSL.exec(type);
    const base = match?.[1];
    if (base === undefined || BUILTINS.has(base)) return type;
    const uri = resolveName(base, origin);
    if (uri === undefined || !context.isDeclared(uri)) return type;
    return `${context.relativize(uri)}${match?.[2] ?? ''}${match?.[3] ?? ''}`;
  }
  if (Array.isArray(type)) return type.map((member, index) => packType(member, at(origin, index), context));
  return isRecord(type) ? packSchema(type, context.enter(type, origin), context) : type;
}

/** A named or anonymous schema: its `name`, its items and its fields' types. */
function packSchema(schema: Fields, origin: Origin, context: TypeContext): Fields {
  const out: Fields = { ...schema };
  if (typeof schema.name === 'string') {
    const uri = resolveName(schema.name, origin);
    if (uri !== undefined) {
      context.declare(uri);
      out.name = context.relativize(uri);
    }
  }
  if ('items' in schema) out.items = packType(schema.items, at(origin, 'items'), context);
  if (Array.isArray(schema.fields)) {
    out.fields = schema.fields.map((field, index) => {
      const where = context.enter(field, at(origin, 'fields', index));
      return isRecord(field) && 'type' in field
        ? { ...field, type: packType(field.type, at(where, 'type'), context) }
        : field;
    });
  } else if (isRecord(schema.fields)) {
    const fields: Fields = {};
    for (const [name, field] of Object.entries(schema.fields)) {
      const where = context.enter(field, at(origin, 'fields', name));
      fields[name] =
        isRecord(field) && 'type' in field
          ? { ...field, type: packType(field.type, at(where, 'type'), context) }
          : packType(field, where, context);
    }
    out.fields = fields;
  }
  return out;
}

/** `inputs` or `outputs` in list or map form, each parameter's type packed. */
export function packParameters(parameters: unknown, origin: Origin, context: TypeContext): unknown {
  const one = (parameter: unknown, where: Origin): unknown => {
    const inner = context.enter(parameter, where);
    if (!isRecord(parameter)) return packType(parameter, inner, context);
    return 'type' in parameter
      ? { ...parameter, type: packType(parameter.type, at(inner, 'type'), context) }
      : parameter;
  };
  if (Array.isArray(parameters)) return parameters.map((p, index) => one(p, at(origin, index)));
  if (!isRecord(parameters)) return parameters;
  const out: Fields = {};
  for (const [id, parameter] of Object.entries(parameters)) out[id] = one(parameter, at(origin, id));
  return out;
}

/** The `types` of a SchemaDefRequirement (list or map form of requirements/hints). */
export function packRequirements(requirements: unknown, origin: Origin, context: TypeContext): unknown {
  const schemaDef = (fields: unknown, where: Origin): unknown => {
    const inner = context.enter(fields, where);
    if (!isRecord(fields) || !Array.isArray(fields.types)) return fields;
    // An `$import` of a list of types stands for its items, as in schema-salad.
    const types = fields.types.flatMap((type, index) => {
      const where = context.enter(type, at(inner, 'types', index));
      return Array.isArray(type)
        ? type.map((member, n) => packType(member, at(where, n), context))
        : [packType(type, where, context)];
    });
    return { ...fields, types };
  };
  if (Array.isArray(requirements)) {
    return requirements.map((entry, index) =>
      isRecord(entry) && entry.class === 'SchemaDefRequirement' ? schemaDef(entry, at(origin, index)) : entry,
    );
  }
  if (!isRecord(requirements) || !('SchemaDefRequirement' in requirements)) return requirements;
  return {
    ...requirements,
    SchemaDefRequirement: schemaDef(requirements.SchemaDefRequirement, at(origin, 'SchemaDefRequirement')),
  };
}
