import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#shared/errors.ts';
import {
  type ClassAd,
  expandParametric,
  getString,
  ParametricJobError,
  parametricJobCount,
  parseJdl,
  TooManyParametricJobsError,
  toJdl,
} from '#shared/jdl/index.ts';
import { plain, structure, thrownBy } from '#test/unit/jdl/helpers.ts';

const expand = (text: string, max = 100) => expandParametric(parseJdl(text), { max });
const strings = (jobs: ClassAd[], name: string) => jobs.map((job) => getString(job, name));

function parametricError(text: string, max = 100): ParametricJobError {
  const error = thrownBy(() => expand(text, max));
  if (!(error instanceof ParametricJobError)) throw error;
  return error;
}

// The JDLs of DIRAC's own unit tests (WorkloadManagementSystem/Utilities/test/Test_ParametricJob.py).
const DIRAC_CASES = [
  {
    name: 'a list of values',
    jdl: 'Executable = "my_executable"; Arguments = "%s"; JobName = "Test_%n"; Parameters = { "a", "b", "c" }',
    arguments: ['a', 'b', 'c'],
  },
  {
    name: 'a number of jobs with a start',
    jdl: 'Executable = "my_executable"; Arguments = "%s"; JobName = "Test_%n"; Parameters = 3; ParameterStart = 5;',
    arguments: ['5', '5', '5'],
  },
  {
    name: 'a progression (x = x * factor + step)',
    jdl: `Executable = "my_executable"; Arguments = "%s"; JobName = "Test_%n";
      Parameters = 3; ParameterStart = 1; ParameterStep = 1; ParameterFactor = 2;`,
    arguments: ['1', '3', '7'],
  },
  {
    name: 'named sequences side by side',
    jdl: `Executable = "my_executable"; Arguments = "%(A)s %(B)s"; JobName = "Test_%n";
      Parameters = 3; ParameterStart.A = 1; ParameterStep.A = 1; ParameterFactor.A = 2;
      Parameters.B = { "a","b","c" };`,
    arguments: ['1 a', '3 b', '7 c'],
  },
];

describe('Parametric jobs', () => {
  it.each(DIRAC_CASES)('expands $name as DIRAC does', ({ jdl, arguments: expected }) => {
    const jobs = expand(jdl);

    expect(parametricJobCount(parseJdl(jdl))).toBe(expected.length);
    expect(strings(jobs, 'Arguments')).toEqual(expected);
    expect(strings(jobs, 'JobName')).toEqual(['Test_0', 'Test_1', 'Test_2']);
  });

  it('expands a JDL without Parameters to a copy of itself', () => {
    const ad = parseJdl('Executable = "my_executable"; Arguments = "%s"; JobName = "Test_%n";');
    const jobs = expandParametric(ad, { max: 10 });

    expect(parametricJobCount(ad)).toBeUndefined();
    expect(jobs).toHaveLength(1);
    expect(jobs[0]).not.toBe(ad);
    expect(structure(jobs[0] as ClassAd)).toEqual(structure(ad));
  });

  it('drops the Parameter* attributes and sets Parameter, Parameter.<name> and ParameterNumber', () => {
    const jobs = expand(`
      Executable = "run.sh";
      Parameters = 2; ParameterStart = 10; ParameterStep = 5;
      Parameters.Seed = { 11, 22 };
      ParameterStart.Scale = 0.5; ParameterFactor.Scale = 2;`);

    expect(jobs.map(plain)).toEqual([
      {
        Executable: 'run.sh',
        Parameter: '10',
        'Parameter.Seed': '11',
        'Parameter.Scale': '0.5',
        ParameterNumber: 0,
      },
      {
        Executable: 'run.sh',
        Parameter: '15',
        'Parameter.Seed': '22',
        'Parameter.Scale': '1.0',
        ParameterNumber: 1,
      },
    ]);
  });

  it('defaults the start to 1, the step to 0 and the factor to 1', () => {
    expect(strings(expand('Arguments = "%s"; Parameters = 3;'), 'Parameter')).toEqual(['1', '1', '1']);
    expect(strings(expand('Arguments = "%s"; Parameters = 3; ParameterStep = 2;'), 'Arguments')).toEqual([
      '1',
      '3',
      '5',
    ]);
  });

  it.each([
    { given: 'ParameterStart = 0.5; ParameterStep = 0.25;', values: ['0.5', '0.75', '1.0', '1.25'] },
    {
      given: 'ParameterStart = 0; ParameterStep = 0.1;',
      values: ['0.0', '0.1', '0.2', '0.30000000000000004'],
    },
    { given: 'ParameterStart = 1; ParameterFactor = 2.0;', values: ['1.0', '2.0', '4.0', '8.0'] },
    {
      given: 'ParameterStart = 1e15; ParameterFactor = 10;',
      values: ['1000000000000000.0', '1e+16', '1e+17', '1e+18'],
    },
    {
      given: 'ParameterStart = 0.001; ParameterFactor = 0.1;',
      values: ['0.001', '0.0001', '1e-05', '1.0000000000000002e-06'],
    },
    { given: 'ParameterStart = 10; ParameterStep = -4;', values: ['10', '6', '2', '-2'] },
    { given: 'ParameterStart = "7"; ParameterStep = "2";', values: ['7', '9', '11', '13'] },
  ])('prints the values of $given as Python does', ({ given, values }) => {
    expect(strings(expand(`Arguments = "%s"; Parameters = 4; ${given}`), 'Arguments')).toEqual(values);
  });

  it('zero-pads %n to the width of the last index', () => {
    expect(strings(expand('JobName = "job_%n"; Parameters = 11;'), 'JobName')).toEqual([
      'job_00',
      'job_01',
      'job_02',
      'job_03',
      'job_04',
      'job_05',
      'job_06',
      'job_07',
      'job_08',
      'job_09',
      'job_10',
    ]);
    expect(strings(expand('JobName = "job_%n"; Parameters = {"x"};'), 'JobName')).toEqual(['job_0']);
  });

  it('fills placeholders in list items and nested ClassAds, and leaves %j for the job ID', () => {
    const [first] = expand(`[
      Executable = "analyse.sh";
      Arguments = "--run %s --job %j --index %n";
      InputData = { "LFN:/vo/data/run_%s/file_%n.root", "LFN:/vo/data/calib.db" };
      OutputData = { "out_%s_%j.root" };
      Extra = [ Note = "run %s"; Levels = { "%s", "%n" } ];
      Parameters = { "1042", "1043" };
    ]`);

    expect(plain(first as ClassAd)).toMatchObject({
      Arguments: '--run 1042 --job %j --index 0',
      InputData: ['LFN:/vo/data/run_1042/file_0.root', 'LFN:/vo/data/calib.db'],
      OutputData: ['out_1042_%j.root'],
      Extra: { Note: 'run 1042', Levels: ['1042', '0'] },
    });
  });

  it('leaves %s alone when only named sequences exist, and unknown names alone', () => {
    const jobs = expand('Arguments = "%s %(A)s %(Nope)s"; Parameters.A = { "x", "y" };');

    expect(strings(jobs, 'Arguments')).toEqual(['%s x %(Nope)s', '%s y %(Nope)s']);
    expect(jobs.map((job) => job.has('Parameter'))).toEqual([false, false]);
    expect(strings(jobs, 'Parameter.A')).toEqual(['x', 'y']);
  });

  it('matches named placeholders whatever their case, as attribute names are', () => {
    expect(strings(expand('Arguments = "%(seed)s"; Parameters.Seed = { 7, 8 };'), 'Arguments')).toEqual([
      '7',
      '8',
    ]);
  });

  it('gives an unquoted placeholder the parameter value itself (testWF.jdl)', () => {
    const jobs = expand(`[
      Executable = "dirac-jobexec";
      Parameters = 3;
      Parameters.InputData = {{/lhcb/data/data1,/lhcb/data/data2},{/lhcb/data/data3,/lhcb/data/data4},
                              {/lhcb/data/data5,/lhcb/data/data6}};
      Parameters.JOB_ID = {1,2,3};
      InputData = %(InputData)s;
      CPUTime = %(JOB_ID)s;
      Arguments = "jobDescription.xml -p JOB_ID=%(JOB_ID)s -p InputData=%(InputData)s";
    ]`);

    expect(plain(jobs[1] as ClassAd)).toEqual({
      Executable: 'dirac-jobexec',
      InputData: [{ expression: '/lhcb/data/data3' }, { expression: '/lhcb/data/data4' }],
      CPUTime: 2,
      Arguments: 'jobDescription.xml -p JOB_ID=2 -p InputData={/lhcb/data/data3,/lhcb/data/data4}',
      Parameter: '1',
      'Parameter.InputData': [{ expression: '/lhcb/data/data3' }, { expression: '/lhcb/data/data4' }],
      'Parameter.JOB_ID': '2',
      ParameterNumber: 1,
    });
  });

  it('splices a list value standing alone in a list, as DIRAC strips its braces', () => {
    const [first] = expand(`
      InputData = { "LFN:/vo/calib.db", %(Files)s };
      Parameters.Files = { { "LFN:/vo/a.root", "LFN:/vo/b.root" }, { "LFN:/vo/c.root" } };`);

    expect(plain(first as ClassAd).InputData).toEqual([
      'LFN:/vo/calib.db',
      'LFN:/vo/a.root',
      'LFN:/vo/b.root',
    ]);
  });

  it('pastes values into expressions as text, and refuses a result that is no longer JDL', () => {
    const ok = expand('Requirements = other.Site == %s && true; Parameters = { "LCG.CERN.cern" };');
    expect(plain(ok[0] as ClassAd).Requirements).toEqual({
      expression: 'other.Site == LCG.CERN.cern && true',
    });

    const error = parametricError('Requirements = other.Site == %s && true; Parameters = { "my site" };');
    expect(error.message).toBe(
      'Filling in the parameters makes Requirements invalid JDL (other.Site == my site && true): expected the end of the text after the value of Requirements.',
    );
  });

  it('never changes the JDL it expands', () => {
    const ad = parseJdl('Arguments = "%s"; Files = { "%s" }; Parameters = { "a", "b" };');
    const before = toJdl(ad);
    expandParametric(ad, { max: 10 });

    expect(toJdl(ad)).toBe(before);
  });

  it('produces jobs that write back to JDL and read again unchanged', () => {
    for (const job of expand(DIRAC_CASES[3]?.jdl ?? '')) {
      expect(structure(parseJdl(toJdl(job)))).toEqual(structure(job));
    }
  });

  it('refuses more jobs than the caller allows, and accepts exactly as many', () => {
    const jdl = 'Executable = "run.sh"; Parameters = 101;';
    const error = thrownBy(() => expand(jdl, 100));

    expect(error).toBeInstanceOf(TooManyParametricJobsError);
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({
      code: 'jdl.too_many_jobs',
      statusCode: 400,
      count: 101,
      max: 100,
      message: 'The JDL describes 101 parametric jobs; the limit is 100.',
    });
    expect(expand(jdl, 101)).toHaveLength(101);
  });

  it.each([
    {
      problem: 'vectors of different lengths',
      jdl: 'Parameters = 3; ParameterStart.A = 1; Parameters.B = { "a", "b", "c", "d" };',
      message: 'Different length of parameter vectors: Parameters.B has 4 values, Parameters 3.',
    },
    {
      problem: 'two lists of different lengths',
      jdl: 'Parameters.A = { 1, 2 }; Parameters.B = { 1 };',
      message: 'Different length of parameter vectors: Parameters.B has 1 values, Parameters.A 2.',
    },
    {
      problem: 'a named sequence given as a number',
      jdl: 'Parameters = 3; Parameters.A = 3;',
      message: 'Parameters.A must be a list of values, not 3.',
    },
    {
      problem: 'a count that is not a number',
      jdl: 'Parameters = "many";',
      message: 'Parameters must be a list of values or the number of jobs, not "many".',
    },
    {
      problem: 'a count of zero',
      jdl: 'Parameters = 0;',
      message: 'Illegal number of job parameters: Parameters gives 0.',
    },
    {
      problem: 'an empty list',
      jdl: 'Parameters = {};',
      message: 'Illegal number of job parameters: Parameters gives 0.',
    },
    {
      problem: 'a start that is not a number',
      jdl: 'Parameters = 2; ParameterStart = "abc";',
      message: 'Illegal value for ParameterStart JDL field: "abc" is not a number.',
    },
    {
      problem: 'a sequence without any count',
      jdl: 'ParameterStart.A = 1; ParameterStep.A = 2;',
      message: 'ParameterStart.A is set, but no Parameters attribute gives the number of jobs.',
    },
    {
      problem: 'integers beyond 2^53',
      jdl: 'Parameters = 80; ParameterStart = 1; ParameterFactor = 2;',
      message: 'ParameterFactor makes the parameter values exceed 2^53 (value 53).',
    },
  ])('refuses $problem', ({ jdl, message }) => {
    const error = parametricError(jdl);

    expect(error.code).toBe('jdl.parametric');
    expect(error.message).toBe(message);
  });

  it('accepts the number of jobs written as a string, as DIRAC does', () => {
    expect(expand('Parameters = "2";')).toHaveLength(2);
    expect(parametricJobCount(parseJdl('Parameters = "2";'))).toBe(2);
  });
});
