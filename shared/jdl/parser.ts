/**
 * A strict reader for DIRAC JDL (ClassAd syntax): `[ Name = value; ... ]`, the outer brackets
 * optional (DIRAC adds them when missing) and the last `;` optional. Literals, lists and nested
 * ClassAds become typed values; anything else that is a well-formed run of ClassAd tokens
 * (`other.Site == "X"`, `%(InputData)s`, `/lhcb/data/file1`) is kept as an expression with its
 * source text, never evaluated.
 *
 * Where DIRAC's own reader (ClassAdLight, which splits on `=` and `;`) accepts nonsense, this one
 * reports the line and column instead: a missing `;` between attributes, unbalanced brackets,
 * an empty statement `;;`. A repeated attribute replaces the earlier one, as the dict behind
 * DIRAC's ClassAd does. A string may not run past the end of its line, so a forgotten quote is
 * reported where it starts.
 */
import {
  booleanValue,
  ClassAd,
  classAdValue,
  expressionValue,
  floatValue,
  integerValue,
  type JdlValue,
  listValue,
  stringValue,
} from './classad.ts';
import { JdlSyntaxError } from './errors.ts';
import { CLOSER_OF, endsOperand, isPunct, startsOperand, type Token, tokenize } from './lexer.ts';

/** Deeper nesting than this is refused, so a hostile JDL cannot exhaust the stack. */
const MAX_DEPTH = 64;

/** Where a value stands, which decides what may end it and how problems are worded. */
interface ValueContext {
  readonly attribute: string;
  readonly terminators: ReadonlySet<string>;
  /** e.g. "';' or ']' after the value of Executable". */
  readonly expectation: string;
  readonly depth: number;
}

export function parseJdl(text: string): ClassAd {
  return new Parser(text).parseDocument();
}

/** One value on its own (`{ "a", "b" }`, `other.Site == "X"`); `attribute` names it in errors. */
export function parseJdlValue(text: string, attribute = 'the value'): JdlValue {
  return new Parser(text).parseStandaloneValue(attribute);
}

class Parser {
  private readonly tokens: Token[];
  private index = 0;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

  parseDocument(): ClassAd {
    const first = this.peek();
    if (!isPunct(first, '[')) return this.parseBody(undefined, 0);
    this.index += 1;
    const ad = this.parseBody(first, 0);
    const after = this.peek();
    if (after.kind !== 'end') fail(after, "unexpected text after the closing ']' of the JDL");
    return ad;
  }

  parseStandaloneValue(attribute: string): JdlValue {
    const expectation = `the end of the text after the value of ${attribute}`;
    return this.parseValue({ attribute, terminators: new Set(), expectation, depth: 0 });
  }

  /** Attributes up to the `]` matching `opener`, or up to the end of the text if there is none. */
  private parseBody(opener: Token | undefined, depth: number): ClassAd {
    checkDepth(depth, opener);
    const ad = new ClassAd();
    const closing = opener === undefined ? undefined : ']';
    for (;;) {
      const token = this.peek();
      if (closing !== undefined && isPunct(token, closing)) {
        this.index += 1;
        return ad;
      }
      if (token.kind === 'end') {
        if (opener === undefined) return ad;
        fail(opener, "unclosed '[': no ']' matches it before the end of the JDL");
      }
      const ends = closing === undefined ? [';'] : [';', ']'];
      if (token.kind !== 'name') fail(token, `expected an attribute name${closing ? " or ']'" : ''}`);
      const name = this.parseName();
      const equals = this.next();
      if (!isPunct(equals, '=')) fail(equals, `expected '=' after the attribute name ${name}`);
      const expectation = `${ends.map((end) => `'${end}'`).join(' or ')} after the value of ${name}`;
      ad.set(name, this.parseValue({ attribute: name, terminators: new Set(ends), expectation, depth }));
      if (isPunct(this.peek(), ';')) this.index += 1;
    }
  }

  /** `Name` or a dotted `Name.Sub`, written without spaces. */
  private parseName(): string {
    let token = this.next();
    let name = token.text;
    for (;;) {
      const dot = this.peek();
      if (dot.kind !== 'operator' || dot.text !== '.' || dot.start !== token.end) return name;
      const part = this.tokens[this.index + 1];
      if (part?.kind !== 'name' || part.start !== dot.end) {
        fail(dot, `expected a name after '.' in the attribute name ${name}`);
      }
      this.index += 2;
      name += `.${part.text}`;
      token = part;
    }
  }

  /** One value; on return the next token ends it (a terminator of `context`, or the end). */
  private parseValue(context: ValueContext): JdlValue {
    const start = this.index;
    const token = this.peek();
    const simple = this.parseSimpleValue(context);
    if (simple === undefined) return this.parseExpression(context, token);
    const after = this.peek();
    if (this.endsValue(after, context)) return simple;
    // `"a" + "b"`, `[ A = 1; ].A`: the literal was only the start of an expression.
    if (after.kind === 'operator' || isPunct(after, '[') || isPunct(after, '(')) {
      this.index = start;
      return this.parseExpression(context, token);
    }
    fail(after, `expected ${context.expectation}`);
  }

  /** A literal, list or nested ClassAd, or `undefined` (consuming nothing) if there is none here. */
  private parseSimpleValue(context: ValueContext): JdlValue | undefined {
    const token = this.peek();
    switch (token.kind) {
      case 'string':
        this.index += 1;
        return stringValue(token.value);
      case 'integer':
      case 'float':
        this.index += 1;
        return token.kind === 'integer' ? integerValue(token.value) : floatValue(token.value);
      case 'name': {
        const word = token.text.toLowerCase();
        if (word !== 'true' && word !== 'false') return undefined;
        this.index += 1;
        return booleanValue(word === 'true');
      }
      case 'operator': {
        // A signed number stays a number: `MaxNumberOfProcessors = -1`.
        const number = this.tokens[this.index + 1];
        const after = this.tokens[this.index + 2];
        if ((token.text !== '-' && token.text !== '+') || after === undefined) return undefined;
        if (number?.kind !== 'integer' && number?.kind !== 'float') return undefined;
        if (!this.endsValue(after, context)) return undefined;
        this.index += 2;
        const value = token.text === '-' ? -number.value : number.value;
        return number.kind === 'integer' ? integerValue(value) : floatValue(value);
      }
      case 'punct':
        if (token.text === '{') return this.parseList(context);
        if (token.text !== '[') return undefined;
        this.index += 1;
        return classAdValue(this.parseBody(token, context.depth + 1));
      default:
        return undefined;
    }
  }

  private parseList(context: ValueContext): JdlValue {
    const opener = this.next();
    const depth = checkDepth(context.depth + 1, opener);
    const items: JdlValue[] = [];
    if (isPunct(this.peek(), '}')) {
      this.index += 1;
      return listValue(items);
    }
    const itemContext: ValueContext = {
      attribute: context.attribute,
      terminators: new Set([',', '}']),
      expectation: `',' or '}' after an item of the list in ${context.attribute}`,
      depth,
    };
    for (;;) {
      items.push(this.parseValue(itemContext));
      const token = this.next();
      if (token.kind === 'end')
        fail(opener, `unclosed list: no '}' matches this '{' in ${context.attribute}`);
      if (token.text === '}') return listValue(items);
    }
  }

  /**
   * A run of ClassAd tokens up to the end of the value, kept as source text. Brackets must balance,
   * and two operands may not follow each other without an operator (that is a missing `;`).
   */
  private parseExpression(context: ValueContext, first: Token): JdlValue {
    const { attribute, expectation } = context;
    const open: Token[] = [];
    let previous: Token | undefined;
    for (;;) {
      const token = this.peek();
      const top = open.at(-1);
      if (top === undefined && this.endsValue(token, context)) break;
      if (token.kind === 'end' && top !== undefined)
        fail(top, `unclosed '${top.text}' in the value of ${attribute}`);
      if (previous !== undefined && endsOperand(previous) && startsOperand(token)) {
        fail(token, top === undefined ? `expected ${expectation}` : 'expected an operator');
      }
      if (token.kind === 'punct' && CLOSER_OF[token.text] !== undefined) {
        open.push(token);
        checkDepth(context.depth + open.length, token);
      } else if (token.kind === 'punct' && top === undefined) {
        fail(
          token,
          token.text === '=' ? `unexpected '=' in the value of ${attribute}` : `expected ${expectation}`,
        );
      } else if (top !== undefined && closesOrBreaks(top, token)) {
        // Only a nested ClassAd may hold `;` and `=`; a closer must match the innermost opener.
        const closer = CLOSER_OF[top.text];
        if (closer !== token.text)
          fail(token, `expected '${closer}' to close the '${top.text}' ${where(top)}`);
        open.pop();
      }
      previous = token;
      this.index += 1;
    }
    if (previous === undefined) fail(first, `expected a value for ${attribute}`);
    return expressionValue(this.text.slice(first.start, previous.end));
  }

  private endsValue(token: Token, context: ValueContext): boolean {
    return token.kind === 'end' || (token.kind === 'punct' && context.terminators.has(token.text));
  }

  /** The next token; reaching a character the lexer could not read is the error to report. */
  private peek(): Token {
    // The token list always ends with an `end` (or `invalid`) token, and the parser never moves past it.
    const token = this.tokens[Math.min(this.index, this.tokens.length - 1)] as Token;
    if (token.kind === 'invalid') fail(token, token.reason);
    return token;
  }

  private next(): Token {
    const token = this.peek();
    this.index += 1;
    return token;
  }
}

function fail(token: Token, reason: string): never {
  throw new JdlSyntaxError(token, reason);
}

function where(token: Token): string {
  return `at line ${token.line}, column ${token.column}`;
}

function checkDepth(depth: number, token: Token | undefined): number {
  if (depth > MAX_DEPTH && token !== undefined) fail(token, 'the JDL is nested too deeply');
  return depth;
}

function closesOrBreaks(top: Token, token: Token): boolean {
  if (token.kind !== 'punct') return false;
  return (
    Object.values(CLOSER_OF).includes(token.text) ||
    (top.text !== '[' && (token.text === ';' || token.text === '='))
  );
}
