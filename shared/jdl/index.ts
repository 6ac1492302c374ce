/**
 * DIRAC JDL: parse a job description into a ClassAd, expand parametric jobs, read attributes
 * with DIRAC's leniency, and write the ClassAd back as JDL text.
 */
export { getBoolean, getNumber, getString, getStringList } from './accessors.ts';
export {
  booleanValue,
  ClassAd,
  classAdValue,
  cloneValue,
  expressionValue,
  floatValue,
  integerValue,
  isAttributeName,
  type JdlValue,
  type JdlValueKind,
  listValue,
  stringValue,
} from './classad.ts';
export {
  type JdlPosition,
  JdlSyntaxError,
  JdlValueError,
  ParametricJobError,
  TooManyParametricJobsError,
} from './errors.ts';
export { type ExpandOptions, expandParametric, parametricJobCount } from './parametric.ts';
export { parseJdl, parseJdlValue } from './parser.ts';
export { formatValue, toJdl, valueText } from './serialize.ts';
