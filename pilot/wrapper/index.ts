/**
 * The job wrapper: `startJobWrapper(job, context)` runs one matched job and returns the handle the
 * pilot heartbeats, kills, interrupts and awaits. Hook authors import the hook types and muon's
 * defaults from here.
 */
export { defaultHooks, defaultPostProcess, defaultPreProcess } from './default-hooks.ts';
export { JobStepError, UnsafeSandboxError } from './errors.ts';
export type {
  HookContext,
  Hooks,
  HookVerdict,
  PayloadCommand,
  PayloadResult,
  PostProcessContext,
  PostProcessHook,
  PostProcessResult,
  PreProcessContext,
  PreProcessHook,
  PreProcessResult,
} from './hooks.ts';
export { loadHooks } from './hooks.ts';
export { type JobPaths, jobPaths } from './workdir.ts';
export { type JobWrapperOptions, startJobWrapper } from './wrapper.ts';
