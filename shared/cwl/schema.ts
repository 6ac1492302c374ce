/**
 * The CWL v1.2 object model as zod, in muon's normal form (see normalize.ts): `inputs`, `outputs`,
 * `steps`, step `in` and `requirements`/`hints` are maps keyed by id or class, every parameter is
 * an object with a `type`, and every step has its process inline. The structure is checked here;
 * names and references (type names, sources, versions) are checked in semantics.ts.
 *
 * Objects are closed: a field CWL does not define is an error, except extension fields written
 * with a namespace prefix (`sbg:x`), which CWL allows anywhere.
 */
import { z } from 'zod';
import {
  boolOrExpression,
  cwlObject,
  expression,
  intOrExpression,
  loadListing,
  text,
} from './schema-base.ts';

const secondaryFile = z.union([
  z.string(),
  // `required: null` is cwltool --pack's way of leaving it to the pattern (a `?` makes it optional).
  cwlObject({ pattern: z.string(), required: boolOrExpression.nullish() }),
]);
const secondaryFiles = z.union([secondaryFile, z.array(secondaryFile)]);

export const commandLineBindingSchema = cwlObject({
  loadContents: z.boolean().optional(),
  position: intOrExpression.optional(),
  prefix: z.string().optional(),
  separate: z.boolean().optional(),
  itemSeparator: z.string().optional(),
  valueFrom: expression.optional(),
  shellQuote: z.boolean().optional(),
});

const outputBindingSchema = cwlObject({
  loadContents: z.boolean().optional(),
  loadListing: loadListing.optional(),
  glob: text.optional(),
  outputEval: expression.optional(),
});

// Types are recursive, so their TypeScript shape is written out once here.
export type CwlType = string | CwlType[] | CwlArraySchema | CwlEnumSchema | CwlRecordSchema;
interface SchemaCommon {
  name?: string | undefined;
  label?: string | undefined;
  doc?: string | string[] | undefined;
}
export interface CwlArraySchema extends SchemaCommon {
  type: 'array';
  items: CwlType;
}
export interface CwlEnumSchema extends SchemaCommon {
  type: 'enum';
  symbols: string[];
}
export interface CwlRecordField extends SchemaCommon {
  type: CwlType;
}
export interface CwlRecordSchema extends SchemaCommon {
  type: 'record';
  fields?: CwlRecordField[] | Record<string, CwlRecordField | CwlType> | undefined;
}

const schemaCommon = {
  name: z.string().optional(),
  label: z.string().optional(),
  doc: text.optional(),
  inputBinding: commandLineBindingSchema.optional(),
  outputBinding: outputBindingSchema.optional(),
};
const recordField = cwlObject({
  ...schemaCommon,
  get type() {
    return typeSchema;
  },
  secondaryFiles: secondaryFiles.optional(),
  streamable: z.boolean().optional(),
  format: text.optional(),
  loadContents: z.boolean().optional(),
  loadListing: loadListing.optional(),
});
export const typeSchema: z.ZodType<CwlType> = z.lazy(() =>
  z.union([
    z.string().min(1),
    z.array(typeSchema).min(1, 'a union needs at least one type'),
    z.discriminatedUnion('type', [
      cwlObject({ ...schemaCommon, type: z.literal('array'), items: typeSchema }),
      cwlObject({
        ...schemaCommon,
        type: z.literal('enum'),
        symbols: z.array(z.string().min(1)).min(1, 'an enum needs at least one symbol'),
      }),
      cwlObject({
        ...schemaCommon,
        type: z.literal('record'),
        fields: z
          .union([
            z.array(recordField.and(z.object({ name: z.string().min(1) }))),
            // In the map form a mapping is the field itself; a string or list is its type.
            z.record(z.string(), z.union([recordField, z.string(), z.array(typeSchema)])),
          ])
          .optional(),
      }),
    ]),
  ]),
);

const parameterCommon = {
  label: z.string().optional(),
  doc: text.optional(),
  secondaryFiles: secondaryFiles.optional(),
  streamable: z.boolean().optional(),
  format: text.optional(),
  type: typeSchema,
};
const inputCommon = {
  ...parameterCommon,
  loadContents: z.boolean().optional(),
  loadListing: loadListing.optional(),
  default: z.unknown().optional(),
};

const commandInputSchema = cwlObject({ ...inputCommon, inputBinding: commandLineBindingSchema.optional() });
const commandOutputSchema = cwlObject({ ...parameterCommon, outputBinding: outputBindingSchema.optional() });
const workflowInputSchema = cwlObject({
  ...inputCommon,
  inputBinding: cwlObject({ loadContents: z.boolean().optional() }).optional(),
});
const expressionToolOutputSchema = cwlObject(parameterCommon);
const linkMerge = z.enum(['merge_nested', 'merge_flattened']);
const pickValue = z.enum(['first_non_null', 'the_only_non_null', 'all_non_null']);
const workflowOutputSchema = cwlObject({
  ...parameterCommon,
  outputSource: text.optional(),
  linkMerge: linkMerge.optional(),
  pickValue: pickValue.optional(),
});

const empty = cwlObject({});
const quantity = z.union([z.number().nonnegative(), expression]);
export const resourceRequirementSchema = cwlObject({
  coresMin: quantity.optional(),
  coresMax: quantity.optional(),
  ramMin: quantity.optional(),
  ramMax: quantity.optional(),
  tmpdirMin: quantity.optional(),
  tmpdirMax: quantity.optional(),
  outdirMin: quantity.optional(),
  outdirMax: quantity.optional(),
});
export const dockerRequirementSchema = cwlObject({
  dockerPull: z.string().min(1).optional(),
  dockerLoad: z.string().optional(),
  dockerFile: z.string().optional(),
  dockerImport: z.string().optional(),
  dockerImageId: z.string().optional(),
  dockerOutputDirectory: z.string().optional(),
});
/** cwltool's extension; `cudaDeviceCountMin` defaults to 1. */
export const cudaRequirementSchema = cwlObject({
  cudaVersionMin: z.string().min(1),
  cudaComputeCapability: text,
  cudaDeviceCountMin: z.union([z.int().positive(), expression]).optional(),
  cudaDeviceCountMax: z.union([z.int().positive(), expression]).optional(),
});
const softwarePackage = cwlObject({
  package: z.string().min(1),
  version: z.array(z.string()).optional(),
  specs: z.array(z.string()).optional(),
});
const dirent = cwlObject({
  entryname: expression.optional(),
  entry: expression,
  writable: z.boolean().optional(),
});
const fileOrDirectory = z.looseObject({ class: z.enum(['File', 'Directory']) });
const listingEntry = z.union([z.null(), z.string(), fileOrDirectory, dirent, z.array(z.unknown())]);

/** Every requirement class of CWL v1.2, keyed as in normal form (the class is the key). */
export const standardRequirementSchemas = {
  InlineJavascriptRequirement: cwlObject({ expressionLib: z.array(z.string()).optional() }),
  SchemaDefRequirement: cwlObject({ types: z.array(typeSchema) }),
  LoadListingRequirement: cwlObject({ loadListing: loadListing.optional() }),
  DockerRequirement: dockerRequirementSchema,
  SoftwareRequirement: cwlObject({
    packages: z.union([z.array(softwarePackage), z.record(z.string(), z.unknown())]),
  }),
  InitialWorkDirRequirement: cwlObject({ listing: z.union([expression, z.array(listingEntry)]) }),
  EnvVarRequirement: cwlObject({
    envDef: z.union([
      z.array(cwlObject({ envName: z.string().min(1), envValue: expression })),
      z.record(z.string(), expression),
    ]),
  }),
  ShellCommandRequirement: empty,
  ResourceRequirement: resourceRequirementSchema,
  WorkReuse: cwlObject({ enableReuse: boolOrExpression }),
  NetworkAccess: cwlObject({ networkAccess: boolOrExpression }),
  InplaceUpdateRequirement: cwlObject({ inplaceUpdate: z.boolean() }),
  ToolTimeLimit: cwlObject({ timelimit: z.union([z.int().nonnegative(), expression]) }),
  SubworkflowFeatureRequirement: empty,
  ScatterFeatureRequirement: empty,
  MultipleInputFeatureRequirement: empty,
  StepInputExpressionRequirement: empty,
};
export const STANDARD_REQUIREMENTS = Object.keys(standardRequirementSchemas);

const requirementsShape = Object.fromEntries(
  Object.entries(standardRequirementSchemas).map(([cls, schema]) => [cls, schema.optional()]),
) as {
  [K in keyof typeof standardRequirementSchemas]: z.ZodOptional<(typeof standardRequirementSchemas)[K]>;
};

/** Under `requirements` an unknown standard class is an error; prefixed classes are checked later. */
const requirementsSchema = cwlObject(requirementsShape);
/** Under `hints` unknown classes are allowed (they are for other runners); known ones must be right. */
const hintsSchema = z.looseObject(requirementsShape);

const processCommon = {
  id: z.string().optional(),
  label: z.string().optional(),
  doc: text.optional(),
  cwlVersion: z.string().optional(),
  intent: z.array(z.string()).optional(),
  $namespaces: z.record(z.string(), z.string()).optional(),
  $schemas: z.array(z.string()).optional(),
  requirements: requirementsSchema.optional(),
  hints: hintsSchema.optional(),
};

export const commandLineToolSchema = cwlObject({
  ...processCommon,
  class: z.literal('CommandLineTool'),
  inputs: z.record(z.string(), commandInputSchema),
  outputs: z.record(z.string(), commandOutputSchema),
  baseCommand: text.optional(),
  arguments: z.array(z.union([expression, commandLineBindingSchema])).optional(),
  stdin: expression.optional(),
  stdout: expression.optional(),
  stderr: expression.optional(),
  successCodes: z.array(z.int()).optional(),
  temporaryFailCodes: z.array(z.int()).optional(),
  permanentFailCodes: z.array(z.int()).optional(),
});

export const expressionToolSchema = cwlObject({
  ...processCommon,
  class: z.literal('ExpressionTool'),
  inputs: z.record(z.string(), workflowInputSchema),
  outputs: z.record(z.string(), expressionToolOutputSchema),
  expression: expression,
});

const stepInputSchema = cwlObject({
  source: text.optional(),
  linkMerge: linkMerge.optional(),
  pickValue: pickValue.optional(),
  loadContents: z.boolean().optional(),
  loadListing: loadListing.optional(),
  label: z.string().optional(),
  default: z.unknown().optional(),
  valueFrom: expression.optional(),
});

export const workflowStepSchema = cwlObject({
  id: z.string().optional(),
  label: z.string().optional(),
  doc: text.optional(),
  in: z.record(z.string(), stepInputSchema),
  out: z.array(z.string().min(1)),
  requirements: requirementsSchema.optional(),
  hints: hintsSchema.optional(),
  // Annotated to break the type cycle step → process → step; the exported types restore it.
  get run(): z.ZodType<{ class: string }> {
    return processSchema;
  },
  when: expression.optional(),
  scatter: text.optional(),
  scatterMethod: z.enum(['dotproduct', 'nested_crossproduct', 'flat_crossproduct']).optional(),
});

export const workflowSchema = cwlObject({
  ...processCommon,
  class: z.literal('Workflow'),
  inputs: z.record(z.string(), workflowInputSchema),
  outputs: z.record(z.string(), workflowOutputSchema),
  steps: z.record(z.string(), workflowStepSchema),
});

export const PROCESS_CLASSES = ['CommandLineTool', 'Workflow', 'ExpressionTool'] as const;

export const processSchema = z.discriminatedUnion('class', [
  commandLineToolSchema,
  workflowSchema,
  expressionToolSchema,
]);

export type CommandLineTool = z.infer<typeof commandLineToolSchema>;
export type ExpressionTool = z.infer<typeof expressionToolSchema>;
export type WorkflowStep = Omit<z.infer<typeof workflowStepSchema>, 'run'> & { run: CwlTask };
export type Workflow = Omit<z.infer<typeof workflowSchema>, 'steps'> & {
  steps: Record<string, WorkflowStep>;
};
/** A validated CWL process in normal form. */
export type CwlTask = CommandLineTool | Workflow | ExpressionTool;
export type CwlInputParameter = CwlTask['inputs'][string];
