import { describe, expect, it } from 'vitest';
import { describeDetail } from '../../../web/src/detail.ts';

describe("The web monitor's reading of an API error's detail", () => {
  it("shows a string as it is, and a CWL refusal's message with its issues", () => {
    expect(describeDetail('No production 9.')).toBe('No production 9.');
    const message = 'The CWL document is invalid:\n  inputs.x.type: unknown type "strng"';
    expect(describeDetail({ message, issues: [{ path: 'inputs.x.type', message: 'unknown type' }] })).toBe(
      message,
    );
  });

  it("lists a production action's refused steps instead of its JSON", () => {
    const detail = {
      productionId: '3',
      steps: [
        { step: 'generate', transformationId: 7, done: false, message: 'Transformation 7 is Cleaned.' },
        { step: 'merge', done: false },
      ],
    };
    expect(describeDetail(detail)).toBe('generate: Transformation 7 is Cleaned.; merge: not done');
  });

  it('falls back to JSON for any other shape, and to nothing for no detail', () => {
    expect(describeDetail({ code: 7 })).toBe('{"code":7}');
    expect(describeDetail(undefined)).toBeUndefined();
  });
});
