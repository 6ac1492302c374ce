/** Computing elements: what the site director and the pilot use (docs/computing-elements.md). */
export type {
  Availability,
  ComputingElement,
  ComputingElementType,
  PilotLimits,
  PilotSpec,
  PilotState,
} from './computing-element.ts';
export { computingElementTypes, pilotSlots } from './computing-element.ts';
export { ComputingElementError, ComputingElementUnavailableError } from './errors.ts';
export {
  batchEnvironmentNames,
  type ComputingElementConfig,
  type ComputingElementDeps,
  createComputingElement,
  createComputingElements,
} from './factory.ts';
export { pilotReferenceFromEnvironment, referenceEnvironmentName } from './reference.ts';
