/**
 * Splits a JDL text into tokens. Comments (`//` and `#` to the end of the line, `/* ... *\/`) and
 * whitespace are dropped. The lexer never throws: at the first character it cannot read it emits an
 * `invalid` token and stops, so the parser reports problems in source order.
 */

interface TokenBase {
  /** The token's source text. */
  readonly text: string;
  /** Offsets into the JDL text, `end` exclusive. */
  readonly start: number;
  readonly end: number;
  /** 1-based. */
  readonly line: number;
  readonly column: number;
}

export type Token = TokenBase &
  (
    | { readonly kind: 'string'; readonly value: string }
    | { readonly kind: 'integer' | 'float'; readonly value: number }
    | { readonly kind: 'name' | 'placeholder' | 'punct' | 'operator' | 'end' }
    | { readonly kind: 'invalid'; readonly reason: string }
  );

/** A token's own part, before the lexer adds where it stands. */
type TokenPayload = WithoutBase<Token>;
type WithoutBase<T> = T extends unknown ? Omit<T, keyof TokenBase> : never;

/** Each opening bracket and the one that closes it. */
export const CLOSER_OF: Readonly<Record<string, string>> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS = new Set(Object.values(CLOSER_OF));
// ClassAd's `x is undefined` / `x isnt undefined`: words that are operators.
const WORD_OPERATORS = new Set(['is', 'isnt']);

/** `[ ] { } ( ) ; , =`: the structure of ClassAds and lists. */
const PUNCTUATION = new Set(['[', ']', '{', '}', '(', ')', ';', ',', '=']);

// ClassAd expression operators, longest first so that `==` is not read as `=` `=`.
const OPERATORS = ['=?=', '=!=', '>>>', '==', '!=', '<=', '>=', '&&', '||', '<<', '>>', ...'<>+-*/%!~^&|?:.'];

const NAME = /[A-Za-z_][A-Za-z0-9_]*/y;
const NUMBER = /(?:[0-9]+(?:\.[0-9]+)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/y;
const NUMBER_TAIL = /[A-Za-z0-9_.]*/y;
// DIRAC's parametric placeholders may stand unquoted in a value: `InputData = %(InputData)s;`.
const PLACEHOLDER = /%\([A-Za-z0-9_.]+\)s|%[snj](?![A-Za-z0-9_])/y;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  n: '\n',
  t: '\t',
  r: '\r',
  b: '\b',
  f: '\f',
  '\\': '\\',
  '"': '"',
  "'": "'",
  '/': '/',
};

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let offset = 0;
  let line = 1;
  let lineStart = 0;

  const at = (start: number) => ({ start, line, column: start - lineStart + 1 });
  const match = (pattern: RegExp): string | undefined => {
    pattern.lastIndex = offset;
    return pattern.exec(text)?.[0];
  };
  const push = (start: number, token: TokenPayload) => {
    tokens.push({ ...token, ...at(start), text: text.slice(start, offset), end: offset });
  };
  const invalid = (start: number, reason: string): Token[] => {
    tokens.push({ kind: 'invalid', reason, ...at(start), text: text.slice(start, offset), end: offset });
    return tokens;
  };
  const newlinesUpTo = (end: number) => {
    for (let i = text.indexOf('\n', offset); i !== -1 && i < end; i = text.indexOf('\n', i + 1)) {
      line += 1;
      lineStart = i + 1;
    }
    offset = end;
  };

  while (offset < text.length) {
    const start = offset;
    const char = text[offset] ?? '';
    const next = text[offset + 1] ?? '';
    if (/\s/.test(char)) {
      newlinesUpTo(offset + 1);
      continue;
    }
    if (char === '#' || (char === '/' && next === '/')) {
      const end = text.indexOf('\n', offset);
      offset = end === -1 ? text.length : end;
      continue;
    }
    if (char === '/' && next === '*') {
      const end = text.indexOf('*/', offset + 2);
      if (end === -1) return invalid(start, "unterminated comment: '/*' is never closed");
      newlinesUpTo(end + 2);
      continue;
    }
    if (char === '"') {
      const result = readString(text, offset);
      offset = typeof result === 'number' ? result : result.end;
      if (typeof result === 'number') {
        return invalid(start, "unterminated string: a string must be closed by '\"' on the same line");
      }
      push(start, { kind: 'string', value: result.value });
      continue;
    }
    const numeral = match(NUMBER);
    if (numeral !== undefined) {
      offset += numeral.length;
      // `86400s`, `1.2.3`, `1e`: a number running into letters is a typo, not two tokens.
      const tail = match(NUMBER_TAIL) ?? '';
      offset += tail.length;
      if (tail !== '') return invalid(start, `invalid number '${numeral}${tail}'`);
      const isFloat = /[.eE]/.test(numeral);
      const value = Number(numeral);
      if (isFloat ? !Number.isFinite(value) : !Number.isSafeInteger(value)) {
        return invalid(start, `number out of range: ${numeral}`);
      }
      push(start, { kind: isFloat ? 'float' : 'integer', value });
      continue;
    }
    const word = match(NAME) ?? match(PLACEHOLDER);
    if (word !== undefined) {
      offset += word.length;
      push(start, { kind: char === '%' ? 'placeholder' : 'name' });
      continue;
    }
    const operator = OPERATORS.find((candidate) => text.startsWith(candidate, offset));
    if (operator !== undefined || PUNCTUATION.has(char)) {
      offset += operator?.length ?? 1;
      push(start, { kind: operator === undefined ? 'punct' : 'operator' });
      continue;
    }
    const shown = String.fromCodePoint(text.codePointAt(offset) ?? 0);
    offset += shown.length;
    return invalid(start, `unexpected character '${shown}'`);
  }
  tokens.push({ kind: 'end', ...at(offset), text: '', end: offset });
  return tokens;
}

/**
 * Reads the string literal opening at `start`. Returns its decoded value and end offset, or the
 * offset where it broke off if it is unterminated (a raw newline or the end of the text).
 */
function readString(text: string, start: number): { value: string; end: number } | number {
  let value = '';
  let offset = start + 1;
  while (offset < text.length) {
    const char = text[offset] ?? '';
    if (char === '"') return { value, end: offset + 1 };
    if (char === '\n') return offset;
    if (char !== '\\') {
      value += char;
      offset += 1;
      continue;
    }
    const escaped = text[offset + 1] ?? '';
    const octal = /^(?:[0-3][0-7]{2}|[0-7]{1,2})/.exec(text.slice(offset + 1, offset + 4))?.[0];
    if (octal !== undefined) {
      value += String.fromCharCode(Number.parseInt(octal, 8));
      offset += 1 + octal.length;
    } else if (escaped === '' || escaped === '\n') {
      return offset + 1;
    } else {
      // An unknown escape keeps its backslash: DIRAC does not decode escapes at all, so `"C:\data"`
      // must still mean what the user typed.
      value += SIMPLE_ESCAPES[escaped] ?? `\\${escaped}`;
      offset += 2;
    }
  }
  return offset;
}

export function isPunct(token: Token, text: string): boolean {
  return token.kind === 'punct' && token.text === text;
}

/** A literal, name or placeholder: two in a row with no operator between them is a syntax error. */
function isOperand(token: Token): boolean {
  if (token.kind === 'name') return !WORD_OPERATORS.has(token.text.toLowerCase());
  return ['string', 'integer', 'float', 'placeholder'].includes(token.kind);
}

export function endsOperand(token: Token): boolean {
  return isOperand(token) || (token.kind === 'punct' && CLOSERS.has(token.text));
}

export function startsOperand(token: Token): boolean {
  return isOperand(token) || isPunct(token, '{');
}
