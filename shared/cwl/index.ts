/**
 * CWL tasks at submission: validation (documents and input objects), the resources a task needs,
 * muon's scheduling hints, and content addressing. Everything runs in process, without cwltool.
 */
export { canonicalJson, canonicalWorkflow, workflowId } from './canonical.ts';
export { type CwlIssue, CwlValidationError, formatIssues, UNSUPPORTED_REQUIREMENT } from './errors.ts';
export {
  extractHints,
  inputSandboxKey,
  type JobHints,
  jobHintsFor,
  jobHintsSchema,
  mergeHints,
  parseJobHints,
  withMuonNames,
} from './hints.ts';
export { CWLTOOL_NAMESPACE, DIRAC_NAMESPACE, isCudaRequirement, isDiracJob } from './namespaces.ts';
export {
  type CwlResources,
  DEFAULT_CORES,
  DEFAULT_RAM_MB,
  extractRequirements,
  type UnresolvedValue,
} from './requirements.ts';
export type {
  CommandLineTool,
  CwlInputParameter,
  CwlTask,
  CwlType,
  ExpressionTool,
  Workflow,
  WorkflowStep,
} from './schema.ts';
export { CWL_VERSION } from './semantics.ts';
export { type CwlJobOrder, isJobOrderDirective, validateCwl, validateJobOrder } from './validate.ts';
export {
  CWL_VERSIONS,
  type CwlVersion,
  isCwlVersion,
  mapEntries,
  upgradeProcess,
} from './versions.ts';
