import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validatePacked } from '#cli/cwl/locate.ts';
import { packCwl } from '#cli/cwl/pack.ts';
import { CliError } from '#cli/errors.ts';
import { CwlValidationError, validateCwl } from '#shared/cwl/index.ts';

const fixtures = fileURLToPath(new URL('../../fixtures/cwl/', import.meta.url));
/** Fixture paths as a user in this directory would type them. */
const path = (name: string) => relative(process.cwd(), `${fixtures}${name}`);
const pack = (name: string) => packCwl(path(name)).document;

type Process = Record<string, unknown> & { id: string };
const graphOf = (document: Record<string, unknown>) => document.$graph as Process[];
const entry = (document: Record<string, unknown>, id: string) => {
  const found = graphOf(document).find((process) => process.id === id);
  if (!found) throw new Error(`no ${id} in ${graphOf(document).map((p) => p.id)}`);
  return found;
};

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof CliError || error instanceof CwlValidationError) return error.message;
    throw error;
  }
  throw new Error('expected the document to be refused');
}

describe('packCwl', () => {
  describe('a workflow in several files', () => {
    const document = pack('pack/wf.cwl');

    it("gives one $graph in cwltool's shape: #main, then each file's process by its file name", () => {
      expect(document.cwlVersion).toBe('v1.2');
      expect(graphOf(document).map((process) => process.id)).toEqual([
        '#main',
        '#say.cwl',
        '#upper',
        '#count.cwl',
        '#wc.cwl',
      ]);
      const steps = entry(document, '#main').steps as Record<string, { run: string }>;
      expect(Object.values(steps).map((step) => step.run)).toEqual(['#say.cwl', '#upper', '#count.cwl']);
      expect((entry(document, '#count.cwl').steps as Record<string, { run: string }>).wc?.run).toBe(
        '#wc.cwl',
      );
    });

    it('resolves nested run: paths relative to the file that writes them, and takes one process of a $graph file', () => {
      expect(entry(document, '#wc.cwl').baseCommand).toEqual(['wc', '-l']);
      expect(entry(document, '#upper').baseCommand).toEqual(['tr', 'a-z', 'A-Z']);
      // lib.cwl's own #main is not run by anything, so it is not packed (nor confused with ours).
      expect(graphOf(document).filter((process) => process.baseCommand === 'true')).toEqual([]);
    });

    it('reads $import and $include relative to the including file, and gives imported types one name', () => {
      const main = entry(document, '#main');
      expect(main.inputs).toEqual({ greeting: '#greeting.yml/Greeting' });
      expect(main.requirements).toMatchObject({
        SchemaDefRequirement: { types: [{ name: '#greeting.yml/Greeting', type: 'record' }] },
      });
      const say = entry(document, '#say.cwl');
      expect(say.inputs).toEqual({ greeting: '#greeting.yml/Greeting' });
      const [schemaDef, javascript] = say.requirements as Record<string, unknown>[];
      expect(schemaDef).toMatchObject({
        class: 'SchemaDefRequirement',
        types: [{ name: '#greeting.yml/Greeting' }],
      });
      expect(javascript?.expressionLib).toEqual([readFileSync(`${fixtures}pack/js/repeat.js`, 'utf8')]);
    });

    it('packs files of an older cwlVersion upgraded to the newest, as cwltool does', () => {
      const count = entry(document, '#count.cwl');
      expect(count.cwlVersion).toBeUndefined();
      expect(count.hints).toEqual([
        { class: 'LoadListingRequirement', loadListing: 'deep_listing' },
        { class: 'NetworkAccess', networkAccess: true },
      ]);
    });

    it('gives a document that the validator accepts', () => {
      expect(() => validateCwl(document)).not.toThrow();
    });
  });

  it("drops a v1.0 subworkflow's output bindings, as cwltool's upgrade does, so the document is accepted", () => {
    const document = pack('pack/v10/wf.cwl');
    expect(entry(document, '#sub.cwl').outputs).toEqual({ lines: { type: 'int', outputSource: 'wc/lines' } });
    expect(() => validateCwl(document)).not.toThrow();
    expect(() => validatePacked(packCwl(path('pack/v10/wf.cwl')))).not.toThrow();
  });

  it('takes a process of a $graph file named on the command line (lib.cwl#upper) as #main', () => {
    const document = pack('pack/lib.cwl#upper');
    expect(graphOf(document).map((process) => [process.id, process.baseCommand])).toEqual([
      ['#main', ['tr', 'a-z', 'A-Z']],
    ]);
    expect(() => validateCwl(document)).not.toThrow();
  });

  it('says a directory given as the document is one, and a missing one is missing', () => {
    expect(failure(() => packCwl(path('pack')))).toBe(
      `Cannot read the CWL document ${path('pack')}: it is a directory, not a file.`,
    );
    expect(failure(() => packCwl(path('pack/nowhere.cwl')))).toBe(
      `Cannot read the CWL document ${path('pack/nowhere.cwl')}: no such file.`,
    );
  });

  it('leaves an already packed document as it is', () => {
    const original = parse(readFileSync(`${fixtures}packed-workflow.cwl`, 'utf8'));
    expect(pack('packed-workflow.cwl')).toEqual(original);
  });

  it('leaves a document of one process without references as it is', () => {
    const original = parse(readFileSync(`${fixtures}hello-world.cwl`, 'utf8'));
    expect(pack('hello-world.cwl')).toEqual(original);
  });

  it("rewrites a File default of another directory's file relative to the submitted document", () => {
    const tool = entry(pack('pack/default-wf.cwl'), '#cat-default.cwl');
    expect(tool.inputs).toMatchObject({ file: { default: { class: 'File', location: 'data/hello.txt' } } });
  });

  it("rewrites a File default named like a drive (A:Gln2Cys) in another directory's file, as a path", () => {
    const tool = entry(pack('pack/colon-wf.cwl'), '#colon-default.cwl');
    expect(tool.inputs).toMatchObject({ file: { default: { class: 'File', location: 'colon/A:Gln2Cys' } } });
  });

  describe('refuses what cwltool refuses, saying where', () => {
    it('names a step whose run: file does not exist, and the line', () => {
      expect(failure(() => pack('pack/invalid/missing-run.cwl'))).toBe(
        `${path('pack/invalid/missing-run.cwl')}:7:10: step "s1" runs "missing.cwl", which does not exist (${path('pack/invalid/missing.cwl')})`,
      );
    });

    it('names a $import whose file does not exist', () => {
      expect(failure(() => pack('pack/invalid/missing-import.cwl'))).toBe(
        `${path('pack/invalid/missing-import.cwl')}:4:14: $import of "types/nowhere.yml", which does not exist (${path('pack/invalid/types/nowhere.yml')})`,
      );
    });

    it('names an id that the $graph file does not have', () => {
      expect(failure(() => pack('pack/lib.cwl#lower'))).toMatch(
        /lib\.cwl#lower": it has no process "#lower" \(#upper, #main\)/,
      );
    });

    it('locates a validation problem in the file and line that wrote it', () => {
      const message = failure(() => validatePacked(packCwl(path('pack/invalid/bad-type.cwl'))));
      expect(message).toContain(
        `${path('pack/tools/bad-type-tool.cwl')}:6:11: steps.s1.run.inputs.n.type: unknown type "integer"`,
      );
    });
  });
});
