import { describe, expect, it } from 'vitest';
import {
  booleanValue,
  ClassAd,
  classAdValue,
  expressionValue,
  floatValue,
  formatValue,
  integerValue,
  type JdlValue,
  listValue,
  parseJdl,
  stringValue,
  toJdl,
} from '#shared/jdl/index.ts';
import { structure } from '#test/unit/jdl/helpers.ts';

const roundTrip = (ad: ClassAd) => parseJdl(toJdl(ad));

describe('JDL serializer', () => {
  it('writes one attribute per line, short lists inline and nested ClassAds indented', () => {
    const ad = parseJdl(`Executable = "run.sh"; Arguments = "-n 5";
      OutputSandbox = { "std.out", "std.err" }; Priority = 1; MaxRAM = 2.0; WholeNode = yes;
      Requirements = other.Site == "X"; JobRequirements = [ CPUTime = 100; Tags = {} ]; Empty = [];`);

    expect(toJdl(ad)).toBe(
      [
        '[',
        '    Executable = "run.sh";',
        '    Arguments = "-n 5";',
        '    OutputSandbox = { "std.out", "std.err" };',
        '    Priority = 1;',
        '    MaxRAM = 2.0;',
        '    WholeNode = yes;',
        '    Requirements = other.Site == "X";',
        '    JobRequirements = [',
        '        CPUTime = 100;',
        '        Tags = {};',
        '    ];',
        '    Empty = [];',
        ']',
      ].join('\n'),
    );
    expect(toJdl(new ClassAd())).toBe('[]');
  });

  it('puts each item of a long list, or of a list of lists, on its own line', () => {
    const lfns = Array.from({ length: 3 }, (_, i) => `LFN:/vo/data/2024/run1/file_00${i}.root`);
    const ad = new ClassAd([
      ['InputData', listValue(lfns.map(stringValue))],
      ['Pairs', listValue([listValue([integerValue(1)]), listValue([])])],
    ]);

    expect(toJdl(ad)).toBe(
      [
        '[',
        '    InputData = {',
        '        "LFN:/vo/data/2024/run1/file_000.root",',
        '        "LFN:/vo/data/2024/run1/file_001.root",',
        '        "LFN:/vo/data/2024/run1/file_002.root"',
        '    };',
        '    Pairs = {',
        '        { 1 },',
        '        {}',
        '    };',
        ']',
      ].join('\n'),
    );
    expect(structure(roundTrip(ad))).toEqual(structure(ad));
  });

  it('escapes quotes, backslashes and control characters so strings read back the same', () => {
    const text = 'say "hi"\\ \t\n\r\u0001\u007f é 🚀';
    const ad = new ClassAd([['Arguments', stringValue(text)]]);

    expect(formatValue(stringValue(text))).toBe('"say \\"hi\\"\\\\ \\t\\n\\r\\001\\177 é 🚀"');
    expect(roundTrip(ad).get('Arguments')).toEqual(stringValue(text));
  });

  it.each([
    [2, '2.0'],
    [0, '0.0'],
    [-0, '-0.0'],
    [1.5, '1.5'],
    [-2.25, '-2.25'],
    [0.1 + 0.2, '0.30000000000000004'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [1.5e-7, '1.5e-07'],
    [123456789012345.6, '123456789012345.6'],
    [1e16, '1e+16'],
    [1.2345e100, '1.2345e+100'],
    [Number.MAX_VALUE, '1.7976931348623157e+308'],
  ])('writes the float %d as Python prints it (%s), keeping it a float', (value, text) => {
    expect(formatValue(floatValue(value))).toBe(text);
    expect(roundTrip(new ClassAd([['X', floatValue(value)]])).get('X')).toEqual(floatValue(value));
  });

  it('round-trips the JDLs users and DIRAC write', () => {
    for (const text of [
      `[ Executable = "dirac-jobexec"; Arguments = "jobDescription.xml -o LogLevel=info"; CPUTime = 86400;
         InputData = ""; InputSandbox = { "exe-script.py", "SB:SE|/SandBox/f/a.tar.bz2" }; Priority = 1 ]`,
      `Site = { "LCG.CERN.cern", "LCG.IN2P3.fr" }; BannedSite = "LCG.RAL.uk"; Tags = { "GPU" };
       NumberOfProcessors = 4; MaxRAM = 8; WholeNode = false; Platform = "x86_64-el9"`,
      `Requirements = other.Site == "X" // a comment inside nothing
         && member("GPU", other.Tags); Rank = -other.LoadAverage; Undefined = other.X is undefined`,
      `Parameters = 3; Parameters.InputData = {{/lhcb/data/data1,/lhcb/data/data2},{/lhcb/data/data3}};
       InputData = %(InputData)s; Arguments = "-p %(InputData)s %n %j"`,
      `JobRequirements = [ Owner = "user_x"; CPUTime = 17800; Sites = "DIRAC.somewhere.org";
         Deeper = [ List = { [ A = 1 ], { -1, 2.5, true } } ] ]`,
    ]) {
      const ad = parseJdl(text);
      expect(structure(roundTrip(ad))).toEqual(structure(ad));
    }
  });

  it('round-trips arbitrary ClassAds', () => {
    const random = seededRandom(20240611);
    for (let i = 0; i < 200; i += 1) {
      const ad = randomClassAd(random, 0);
      const text = toJdl(ad);
      expect(structure(parseJdl(text)), text).toEqual(structure(ad));
    }
  });
});

type Random = () => number;

function seededRandom(seed: number): Random {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

function randomClassAd(random: Random, depth: number): ClassAd {
  const ad = new ClassAd();
  const size = Math.floor(random() * 6);
  for (let i = 0; i < size; i += 1)
    ad.set(`${pick(random, ['A', 'b_', 'Parameters.X', 'Z9'])}${i}`, randomValue(random, depth));
  return ad;
}

function randomValue(random: Random, depth: number): JdlValue {
  const kinds = depth < 3 ? 7 : 5;
  switch (Math.floor(random() * kinds)) {
    case 0:
      return stringValue(
        Array.from({ length: Math.floor(random() * 8) }, () =>
          pick(random, ['a', ' ', '"', '\\', '\n', '%s', '\u0002', 'ü', '//', '#', ';', ']']),
        ).join(''),
      );
    case 1:
      return integerValue(Math.floor((random() - 0.5) * 2 ** 40));
    case 2:
      return floatValue((random() - 0.5) * 10 ** Math.floor(random() * 40 - 20));
    case 3:
      return booleanValue(random() < 0.5);
    case 4:
      return expressionValue(
        pick(random, ['other.Site == "X"', 'a + -b', 'member("x", other.Tags)', '%(A)s', 'x is undefined']),
      );
    case 5:
      return listValue(
        Array.from({ length: Math.floor(random() * 4) }, () => randomValue(random, depth + 1)),
      );
    default:
      return classAdValue(randomClassAd(random, depth + 1));
  }
}
