import { describe, expect, it } from 'vitest';
import { ClassAd, integerValue, parseJdl, parseJdlValue, stringValue } from '#shared/jdl/index.ts';
import { plain, plainValue, structure } from '#test/unit/jdl/helpers.ts';

// The shape of the JDL DIRAC stores for a submitted job (tests/Integration/.../Test_JobDB.py), as
// written by DIRAC's ClassAd.asJDL(): sorted attributes, one list item per line.
const STORED_JDL = `[
    Arguments = "jobDescription.xml -o LogLevel=info";
    CPUTime = 86400;
    Executable = "dirac-jobexec";
    InputData = "";
    InputSandbox =
        {
            "exe-script.py",
            "jobDescription.xml",
            "SB:FedericoSandboxSE|/SandBox/f/fstagni.lhcb_user/0c2/9f5/0c29f5d3a2e4b1c6.tar.bz2"
        };
    JobGroup = "lhcb";
    JobName = "helloWorld";
    JobType = "User";
    LogLevel = "info";
    OutputSandbox =
        {
            "helloWorld.log",
            "std.err",
            "std.out"
        };
    Owner = "fstagni";
    OwnerGroup = "lhcb_user";
    Priority = 1;
    StdError = "std.err";
    StdOutput = "std.out";
    VirtualOrganization = "vo";
]`;

// What a user writes by hand: no outer brackets, comments of every kind, no final ';'.
const USER_JDL = `# Analysis of the 2024 run
JobName = "analysis_2024";
JobGroup = "higgs";   // groups my jobs in the monitor
JobType = "User";
Executable = "run.sh";
Arguments = "--events 1000 --seed 42";
/* The sandbox is uploaded by the client;
   LFNs are read from the catalogue. */
InputSandbox = { "run.sh", "config.yaml", "LFN:/vo/user/a/alice/lib.tar.gz" };
InputData = {
  "LFN:/vo/data/2024/run1/file_001.root",
  "LFN:/vo/data/2024/run1/file_002.root"
};
OutputSandbox = { "std.out", "std.err", "*.log" };
OutputData = { "histos.root", "LFN:/vo/user/a/alice/out/summary.json" };
OutputSE = "CERN-USER";
OutputPath = "analysis/2024";
Site = { "LCG.CERN.cern", "LCG.IN2P3.fr" };
BannedSite = "LCG.RAL.uk";
Priority = 5;
CPUTime = 36000;
Platform = "x86_64-el9";
Tags = { "GPU" };
NumberOfProcessors = 4;
MaxRAM = 8;
WholeNode = false`;

describe('JDL parser', () => {
  it('reads the JDL DIRAC stores for a submitted job', () => {
    const ad = parseJdl(STORED_JDL);

    expect(plain(ad)).toEqual({
      Arguments: 'jobDescription.xml -o LogLevel=info',
      CPUTime: 86400,
      Executable: 'dirac-jobexec',
      InputData: '',
      InputSandbox: [
        'exe-script.py',
        'jobDescription.xml',
        'SB:FedericoSandboxSE|/SandBox/f/fstagni.lhcb_user/0c2/9f5/0c29f5d3a2e4b1c6.tar.bz2',
      ],
      JobGroup: 'lhcb',
      JobName: 'helloWorld',
      JobType: 'User',
      LogLevel: 'info',
      OutputSandbox: ['helloWorld.log', 'std.err', 'std.out'],
      Owner: 'fstagni',
      OwnerGroup: 'lhcb_user',
      Priority: 1,
      StdError: 'std.err',
      StdOutput: 'std.out',
      VirtualOrganization: 'vo',
    });
    expect(ad.get('CPUTime')).toEqual({ kind: 'integer', value: 86400 });
  });

  it('reads a hand-written JDL without the outer brackets, with comments of every kind', () => {
    const ad = parseJdl(USER_JDL);

    expect(ad.names()).toEqual([
      'JobName',
      'JobGroup',
      'JobType',
      'Executable',
      'Arguments',
      'InputSandbox',
      'InputData',
      'OutputSandbox',
      'OutputData',
      'OutputSE',
      'OutputPath',
      'Site',
      'BannedSite',
      'Priority',
      'CPUTime',
      'Platform',
      'Tags',
      'NumberOfProcessors',
      'MaxRAM',
      'WholeNode',
    ]);
    expect(plain(ad)).toMatchObject({
      JobGroup: 'higgs',
      InputSandbox: ['run.sh', 'config.yaml', 'LFN:/vo/user/a/alice/lib.tar.gz'],
      InputData: ['LFN:/vo/data/2024/run1/file_001.root', 'LFN:/vo/data/2024/run1/file_002.root'],
      OutputData: ['histos.root', 'LFN:/vo/user/a/alice/out/summary.json'],
      Site: ['LCG.CERN.cern', 'LCG.IN2P3.fr'],
      BannedSite: 'LCG.RAL.uk',
      Tags: ['GPU'],
      NumberOfProcessors: 4,
      WholeNode: false,
    });
  });

  it('reads the same ClassAd with or without the outer brackets', () => {
    expect(structure(parseJdl(`[${USER_JDL}]`))).toEqual(structure(parseJdl(USER_JDL)));
  });

  it('finds attributes whatever their case, keeping the spelling written', () => {
    const ad = parseJdl('[ executable = "run.sh"; CPUTIME = 100; ]');

    expect(ad.get('Executable')).toEqual(stringValue('run.sh'));
    expect(ad.get('cputime')).toEqual(integerValue(100));
    expect(ad.has('EXECUTABLE')).toBe(true);
    expect(ad.names()).toEqual(['executable', 'CPUTIME']);
  });

  it('lets the last definition of a repeated attribute win, in the place of the first', () => {
    const ad = parseJdl('[ Site = "A"; Priority = 1; site = "B"; ]');

    expect(ad.names()).toEqual(['Site', 'Priority']);
    expect(ad.get('Site')).toEqual(stringValue('B'));
  });

  it('reads integers, signed numbers, floats and booleans in any case', () => {
    const ad = parseJdl(`[
      A = 42; B = -1; C = +7; D = 1.5; E = 2.5e3; F = 1E-3; G = .5; H = 2.0;
      T = true; U = FALSE; V = True;
    ]`);

    expect(structure(ad)).toEqual([
      ['A', { integer: 42 }],
      ['B', { integer: -1 }],
      ['C', { integer: 7 }],
      ['D', { float: 1.5 }],
      ['E', { float: 2500 }],
      ['F', { float: 0.001 }],
      ['G', { float: 0.5 }],
      ['H', { float: 2 }],
      ['T', { boolean: true }],
      ['U', { boolean: false }],
      ['V', { boolean: true }],
    ]);
  });

  it('decodes string escapes and keeps unknown ones as written', () => {
    const ad = parseJdl(String.raw`[
      Quoted = "say \"hi\"";
      Controls = "a\tb\nc\\d";
      Octal = "\101\0";
      Windows = "C:\data\new";
      Comment = "not // a comment # at all /* really */";
    ]`);

    expect(plain(ad)).toEqual({
      Quoted: 'say "hi"',
      Controls: 'a\tb\nc\\d',
      Octal: 'A\0',
      Windows: 'C:\\data\new',
      Comment: 'not // a comment # at all /* really */',
    });
  });

  it('reads nested ClassAds such as the JobRequirements DIRAC builds', () => {
    const ad = parseJdl(`[
      Executable = "run.sh";
      JobRequirements = [
        Owner = "user_x"; VirtualOrganization = "VO"; CPUTime = 17800; OwnerGroup = "user";
        UserPriority = 1; Sites = "DIRAC.somewhere.org"; JobTypes = "User"; Tags = "MultiProcessor"
      ];
      Deeper = [ Inner = [ Leaf = { 1, [ X = "y" ] } ] ]
    ]`);

    const requirements = ad.get('jobrequirements');
    expect(requirements?.kind).toBe('classad');
    expect(plainValue(requirements ?? stringValue(''))).toEqual({
      Owner: 'user_x',
      VirtualOrganization: 'VO',
      CPUTime: 17800,
      OwnerGroup: 'user',
      UserPriority: 1,
      Sites: 'DIRAC.somewhere.org',
      JobTypes: 'User',
      Tags: 'MultiProcessor',
    });
    expect(plain(ad).Deeper).toEqual({ Inner: { Leaf: [1, { X: 'y' }] } });
  });

  it('reads empty lists and lists of lists', () => {
    const ad = parseJdl('[ Empty = {}; Nested = { { "a", "b" }, {}, { 1 } } ]');

    expect(plain(ad)).toEqual({ Empty: [], Nested: [['a', 'b'], [], [1]] });
  });

  it('keeps expressions as their source text without evaluating them', () => {
    const ad = parseJdl(`[
      Requirements = other.Site == "LCG.CERN.cern" && member("GPU", other.Tags); // pinned
      Rank = -other.LoadAverage;
      Undefined = other.MaxRAM is undefined;
      Concatenated = "a" + "b";
      Selected = [ A = 1; B = 2 ].A;
      Conditional = other.Memory > 2000 ? 1 : 0;
      Bare = helloWorld
    ]`);

    expect(plain(ad)).toEqual({
      Requirements: { expression: 'other.Site == "LCG.CERN.cern" && member("GPU", other.Tags)' },
      Rank: { expression: '-other.LoadAverage' },
      Undefined: { expression: 'other.MaxRAM is undefined' },
      Concatenated: { expression: '"a" + "b"' },
      Selected: { expression: '[ A = 1; B = 2 ].A' },
      Conditional: { expression: 'other.Memory > 2000 ? 1 : 0' },
      Bare: { expression: 'helloWorld' },
    });
  });

  it('reads the unquoted placeholders and paths of DIRAC parametric JDLs (testWF.jdl)', () => {
    const ad = parseJdl(`[
      Parameters = 3;
      Parameters.InputData = {{/lhcb/data/data1,/lhcb/data/data2},{/lhcb/data/data3,/lhcb/data/data4}};
      InputData = %(InputData)s;
      JobName = %n;
    ]`);

    expect(plain(ad)).toEqual({
      Parameters: 3,
      'Parameters.InputData': [
        [{ expression: '/lhcb/data/data1' }, { expression: '/lhcb/data/data2' }],
        [{ expression: '/lhcb/data/data3' }, { expression: '/lhcb/data/data4' }],
      ],
      InputData: { expression: '%(InputData)s' },
      JobName: { expression: '%n' },
    });
  });

  it('reads Windows line endings and a byte-order mark, counting lines the same way', () => {
    const text = '\uFEFF[\r\n  Executable = "run.sh";\r\n  Site = { "A",\r\n "B" };\r\n]\r\n';

    expect(plain(parseJdl(text))).toEqual({ Executable: 'run.sh', Site: ['A', 'B'] });
    expect(() => parseJdl('[\r\n  Executable = "run.sh"\r\n  Site = "A";\r\n]')).toThrow(
      "line 3, column 3: expected ';' or ']' after the value of Executable",
    );
  });

  it('accepts an empty text, a text of comments and an empty ClassAd', () => {
    expect(parseJdl('').size).toBe(0);
    expect(parseJdl('  // nothing\n# here\n').size).toBe(0);
    expect(parseJdl('[]').size).toBe(0);
    expect(parseJdl('[ A = []; ]').get('A')).toEqual({ kind: 'classad', value: new ClassAd() });
  });

  it('reads a single value on its own', () => {
    expect(parseJdlValue('{ "LCG.CERN.cern", "LCG.IN2P3.fr" }')).toEqual({
      kind: 'list',
      items: [stringValue('LCG.CERN.cern'), stringValue('LCG.IN2P3.fr')],
    });
    expect(parseJdlValue(' 12 ')).toEqual(integerValue(12));
    expect(parseJdlValue('other.Site == "X"')).toEqual({ kind: 'expression', source: 'other.Site == "X"' });
  });
});

describe('ClassAd', () => {
  it('refuses attribute names that could not be written back as JDL', () => {
    const ad = new ClassAd();

    expect(() => ad.set('Has space', stringValue('x'))).toThrow(RangeError);
    expect(() => ad.set('', stringValue('x'))).toThrow(RangeError);
    expect(() => ad.set('Parameters.A', stringValue('x'))).not.toThrow();
  });

  it('copies deeply, so editing a copy never changes the original', () => {
    const original = parseJdl('[ A = [ B = 1 ]; L = { [ C = 2 ] } ]');
    const copy = original.clone();
    const nested = copy.get('A');
    if (nested?.kind !== 'classad') throw new Error('expected a nested ClassAd');
    nested.value.set('B', integerValue(2));
    copy.delete('L');

    expect(plain(original)).toEqual({ A: { B: 1 }, L: [{ C: 2 }] });
  });
});
