import { describe, expect, it } from 'vitest';
import { BadRequestError } from '#shared/errors.ts';
import { JdlSyntaxError, parseJdl } from '#shared/jdl/index.ts';
import { thrownBy } from '#test/unit/jdl/helpers.ts';

function syntaxError(text: string): JdlSyntaxError {
  const error = thrownBy(() => parseJdl(text));
  if (!(error instanceof JdlSyntaxError)) throw error;
  return error;
}

describe('JDL syntax errors', () => {
  it.each([
    {
      problem: 'an unterminated string',
      text: '[\n  Executable = "run.sh;\n  Arguments = "-v";\n]',
      line: 2,
      column: 16,
      reason: "unterminated string: a string must be closed by '\"' on the same line",
    },
    {
      problem: 'a string cut by the end of the text',
      text: 'Executable = "run.sh',
      line: 1,
      column: 14,
      reason: "unterminated string: a string must be closed by '\"' on the same line",
    },
    {
      problem: 'a missing =',
      text: '[\n  Executable "run.sh";\n]',
      line: 2,
      column: 14,
      reason: "expected '=' after the attribute name Executable",
    },
    {
      problem: 'a missing ; between attributes on two lines',
      text: '[\n  Executable = "run.sh"\n  Arguments = "-v";\n]',
      line: 3,
      column: 3,
      reason: "expected ';' or ']' after the value of Executable",
    },
    {
      problem: 'a missing ; between attributes on one line, without outer brackets',
      text: 'Executable = "run.sh" Arguments = "-v";',
      line: 1,
      column: 23,
      reason: "expected ';' after the value of Executable",
    },
    {
      problem: 'a missing ; after an expression',
      text: '[\n  Requirements = other.Site == "X"\n  Priority = 1;\n]',
      line: 3,
      column: 3,
      reason: "expected ';' or ']' after the value of Requirements",
    },
    {
      problem: 'a missing ; after a list',
      text: '[\n  Site = { "A", "B" }\n  Priority = 1;\n]',
      line: 3,
      column: 3,
      reason: "expected ';' or ']' after the value of Site",
    },
    {
      problem: 'a list left open before the closing bracket',
      text: '[\n  InputSandbox = { "run.sh", "data.txt"\n]',
      line: 3,
      column: 1,
      reason: "expected ',' or '}' after an item of the list in InputSandbox",
    },
    {
      problem: 'a list left open at the end of the text',
      text: 'Executable = "run.sh";\nInputSandbox = { "run.sh", "data.txt"',
      line: 2,
      column: 16,
      reason: "unclosed list: no '}' matches this '{' in InputSandbox",
    },
    {
      problem: 'a list item followed by ;',
      text: '[ OutputSandbox = { "std.out"; "std.err" } ]',
      line: 1,
      column: 30,
      reason: "expected ',' or '}' after an item of the list in OutputSandbox",
    },
    {
      problem: 'a trailing comma in a list',
      text: '[ Site = { "A", } ]',
      line: 1,
      column: 17,
      reason: 'expected a value for Site',
    },
    {
      problem: 'an unclosed outer bracket',
      text: '[\n  Executable = "run.sh";\n  Arguments = "-v";\n',
      line: 1,
      column: 1,
      reason: "unclosed '[': no ']' matches it before the end of the JDL",
    },
    {
      problem: 'an unclosed nested ClassAd',
      text: 'Executable = "run.sh";\nJobRequirements = [ CPUTime = 100;',
      line: 2,
      column: 19,
      reason: "unclosed '[': no ']' matches it before the end of the JDL",
    },
    {
      problem: 'a number with letters after it',
      text: '[\n  CPUTime = 86400s;\n]',
      line: 2,
      column: 13,
      reason: "invalid number '86400s'",
    },
    {
      problem: 'a number with two decimal points',
      text: '[ MaxRAM = 1.2.3; ]',
      line: 1,
      column: 12,
      reason: "invalid number '1.2.3'",
    },
    {
      problem: 'an exponent without digits',
      text: '[ MaxRAM = 1e; ]',
      line: 1,
      column: 12,
      reason: "invalid number '1e'",
    },
    {
      problem: 'an integer too large to hold exactly',
      text: '[ CPUTime = 99999999999999999999; ]',
      line: 1,
      column: 13,
      reason: 'number out of range: 99999999999999999999',
    },
    {
      problem: 'a stray character before a name',
      text: '[\n  Executable = "run.sh";\n  @Arguments = "-v";\n]',
      line: 3,
      column: 3,
      reason: "unexpected character '@'",
    },
    {
      problem: 'a stray character in a value',
      text: '[ Priority = $1; ]',
      line: 1,
      column: 14,
      reason: "unexpected character '$'",
    },
    {
      problem: 'a stray non-ASCII character',
      text: '[ Site = «LCG.CERN.cern»; ]',
      line: 1,
      column: 10,
      reason: "unexpected character '«'",
    },
    {
      problem: 'an unterminated block comment',
      text: '[ Executable = "run.sh"; /* never closed\n]',
      line: 1,
      column: 26,
      reason: "unterminated comment: '/*' is never closed",
    },
    {
      problem: 'a missing value',
      text: '[ Executable = ; ]',
      line: 1,
      column: 16,
      reason: 'expected a value for Executable',
    },
    {
      problem: 'a value cut by the end of the text',
      text: 'Executable =',
      line: 1,
      column: 13,
      reason: 'expected a value for Executable',
    },
    {
      problem: 'an = inside an expression',
      text: '[\n  Executable = "run.sh" +\n  Arguments = "-v";\n]',
      line: 3,
      column: 13,
      reason: "unexpected '=' in the value of Executable",
    },
    {
      problem: 'text after the closing bracket',
      text: '[ A = 1; ] B = 2;',
      line: 1,
      column: 12,
      reason: "unexpected text after the closing ']' of the JDL",
    },
    {
      problem: 'a quoted attribute name',
      text: '[ "Executable" = "run.sh"; ]',
      line: 1,
      column: 3,
      reason: "expected an attribute name or ']'",
    },
    {
      problem: 'an empty statement',
      text: '[ A = 1;; ]',
      line: 1,
      column: 9,
      reason: "expected an attribute name or ']'",
    },
    {
      problem: 'a stray closing bracket without outer brackets',
      text: 'Executable = "run.sh";\n]',
      line: 2,
      column: 1,
      reason: 'expected an attribute name',
    },
    {
      problem: 'a dotted name without its second part',
      text: '[ Parameters. = 3; ]',
      line: 1,
      column: 13,
      reason: "expected a name after '.' in the attribute name Parameters",
    },
    {
      problem: 'brackets that do not match in an expression',
      text: '[ Requirements = member("GPU", other.Tags]; ]',
      line: 1,
      column: 42,
      reason: "expected ')' to close the '(' at line 1, column 24",
    },
    {
      problem: 'a ; inside parentheses',
      text: '[ Requirements = (other.Site == "X"; ]',
      line: 1,
      column: 36,
      reason: "expected ')' to close the '(' at line 1, column 18",
    },
    {
      problem: 'parentheses left open at the end of the text',
      text: 'Requirements = (other.Site == "X"',
      line: 1,
      column: 16,
      reason: "unclosed '(' in the value of Requirements",
    },
    {
      problem: 'two values without an operator',
      text: '[ Requirements = other.Site == "X" "Y"; ]',
      line: 1,
      column: 36,
      reason: "expected ';' or ']' after the value of Requirements",
    },
    {
      problem: 'two arguments without a comma',
      text: '[ Requirements = member("GPU" other.Tags); ]',
      line: 1,
      column: 31,
      reason: 'expected an operator',
    },
    {
      problem: 'several values without list braces',
      text: '[ Site = "A", "B"; ]',
      line: 1,
      column: 13,
      reason: "expected ';' or ']' after the value of Site",
    },
    {
      problem: 'nesting deeper than 64 levels',
      text: `A = ${'{'.repeat(100)}${'}'.repeat(100)}`,
      line: 1,
      column: 69,
      reason: 'the JDL is nested too deeply',
    },
  ])('reports $problem with its line and column', ({ text, line, column, reason }) => {
    const error = syntaxError(text);

    expect({ line: error.line, column: error.column, reason: error.reason }).toEqual({
      line,
      column,
      reason,
    });
    expect(error.message).toBe(`line ${line}, column ${column}: ${reason}`);
  });

  it('is a bad request with the code jdl.syntax and the position as detail', () => {
    const error = syntaxError('[\n  Executable = "run.sh"\n  Arguments = "-v";\n]');

    expect(error).toBeInstanceOf(BadRequestError);
    expect(error.statusCode).toBe(400);
    expect(error.code).toBe('jdl.syntax');
    expect(error.name).toBe('JdlSyntaxError');
    expect(error.detail).toEqual({
      line: 3,
      column: 3,
      reason: "expected ';' or ']' after the value of Executable",
    });
  });

  it('reports the first problem in the text, even when a later character cannot be read', () => {
    const error = syntaxError('[\n  Executable "run.sh";\n  Arguments = @;\n]');

    expect(error.message).toBe("line 2, column 14: expected '=' after the attribute name Executable");
  });

  it('counts lines across comments and multi-line values', () => {
    const error = syntaxError('/* two\nlines */ A = {\n  1,\n  2 3 };');

    expect(error.message).toBe("line 4, column 5: expected ',' or '}' after an item of the list in A");
  });
});
