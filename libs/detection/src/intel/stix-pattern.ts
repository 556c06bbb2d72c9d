/**
 * Just enough of the STIX 2.1 patterning language to take address indicators out of a pattern
 * (https://docs.oasis-open.org/cti/stix/v2.1/os/stix-v2.1-os.html#_e8slinrhxcc9). The whole
 * grammar is parsed, so a malformed pattern is refused rather than half read; only the addresses
 * a pattern is satisfied by on their own are kept.
 */

export class StixPatternError extends Error {}

/** What a pattern says about addresses. */
export type PatternAddresses =
  /** Matching any one of these values (addresses or CIDRs) satisfies the pattern. */
  | { kind: 'addresses'; values: string[] }
  /** Addresses appear, but only with other conditions (AND, FOLLOWEDBY, qualifiers, negation…). */
  | { kind: 'conditional' }
  /** No address object in the pattern (file hashes, domains, URLs …). */
  | { kind: 'none' };

const ADDRESS_PATHS = new Set(['ipv4-addr:value', 'ipv6-addr:value']);

/** Reads the addresses a pattern matches; throws StixPatternError naming the position when it is malformed. */
export function patternAddresses(pattern: string): PatternAddresses {
  const tree = new PatternParser(tokenize(pattern)).parse();
  const values: string[] = [];
  let mentionsAddress = false;
  for (const alternative of alternativesOf(tree)) {
    if (alternative.kind === 'comparison' && isSufficientAddressComparison(alternative)) {
      for (const value of alternative.values) values.push(value.text);
    } else if (mentionsAddressPath(alternative)) {
      mentionsAddress = true;
    }
  }
  if (values.length > 0) return { kind: 'addresses', values };
  return mentionsAddress ? { kind: 'conditional' } : { kind: 'none' };
}

type Node =
  | { kind: 'or' | 'and' | 'followed-by'; parts: Node[] }
  | { kind: 'qualified'; inner: Node }
  | { kind: 'comparison'; path: string; negated: boolean; operator: string; values: Literal[] };

interface Literal {
  kind: TokenKind;
  text: string;
}

/** The alternatives a pattern is satisfied by: OR, at either level, is the only connective that splits. */
function alternativesOf(node: Node): Node[] {
  return node.kind === 'or' ? node.parts.flatMap(alternativesOf) : [node];
}

function isSufficientAddressComparison(node: Extract<Node, { kind: 'comparison' }>): boolean {
  return ADDRESS_PATHS.has(node.path) && !node.negated && ['=', 'ISSUBSET', 'IN'].includes(node.operator) && node.values.every((v) => v.kind === 'string');
}

function mentionsAddressPath(node: Node): boolean {
  switch (node.kind) {
    case 'comparison':
      return ADDRESS_PATHS.has(node.path);
    case 'qualified':
      return mentionsAddressPath(node.inner);
    default:
      return node.parts.some(mentionsAddressPath);
  }
}

type TokenKind = 'punct' | 'operator' | 'keyword' | 'path' | 'string' | 'timestamp' | 'hex' | 'binary' | 'number' | 'boolean' | 'end';

interface Token {
  kind: TokenKind;
  text: string;
  /** 1-based character position, for errors. */
  at: number;
}

const KEYWORDS = new Set(['AND', 'OR', 'NOT', 'FOLLOWEDBY', 'LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET', 'IN', 'WITHIN', 'SECONDS', 'REPEATS', 'TIMES', 'START', 'STOP']);
const COMPARISON_KEYWORDS = new Set(['LIKE', 'MATCHES', 'ISSUBSET', 'ISSUPERSET', 'IN']);
const OBJECT_TYPE = /[a-z0-9][a-z0-9-]*:/y;
const PROPERTY = /[A-Za-z0-9_-]+/y;
const NUMBER = /[-+]?\d+(?:\.\d+)?/y;
const WORD = /[A-Za-z]+/y;

function tokenize(pattern: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  const fail = (problem: string, at = i): never => {
    throw new StixPatternError(`${problem} at character ${at + 1}`);
  };
  const match = (re: RegExp): string | undefined => {
    re.lastIndex = i;
    const found = re.exec(pattern)?.[0];
    if (found !== undefined) i += found.length;
    return found;
  };
  /** A quoted literal starting at `i` (the opening quote); `\'` and `\\` are its only escapes. */
  const quoted = (): string => {
    const start = i;
    let text = '';
    for (i++; i < pattern.length; i++) {
      const c = pattern[i] as string;
      if (c === "'") {
        i++;
        return text;
      }
      if (c === '\\') {
        const next = pattern[i + 1];
        if (next !== "'" && next !== '\\') fail('unknown escape in a string');
        text += next;
        i++;
      } else {
        text += c;
      }
    }
    return fail('unterminated string starting', start);
  };

  while (i < pattern.length) {
    const c = pattern[i] as string;
    const at = i + 1;
    if (/\s/.test(c)) {
      i++;
    } else if ('[](),'.includes(c)) {
      tokens.push({ kind: 'punct', text: c, at });
      i++;
    } else if (c === "'") {
      tokens.push({ kind: 'string', text: quoted(), at });
    } else if ((c === 't' || c === 'h' || c === 'b') && pattern[i + 1] === "'") {
      i++;
      tokens.push({ kind: c === 't' ? 'timestamp' : c === 'h' ? 'hex' : 'binary', text: quoted(), at });
    } else if ('=!<>'.includes(c)) {
      const two = pattern.slice(i, i + 2);
      const text = ['!=', '<=', '>=', '<>'].includes(two) ? two : c;
      if (text === '!') fail('"!" without "="');
      tokens.push({ kind: 'operator', text: text === '<>' ? '!=' : text, at });
      i += text.length;
    } else if (match(OBJECT_TYPE) !== undefined) {
      i = at - 1;
      tokens.push({ kind: 'path', text: readPath(), at });
    } else if (/[-+\d]/.test(c)) {
      tokens.push({ kind: 'number', text: match(NUMBER) ?? fail('expected a number'), at });
    } else if (/[A-Za-z]/.test(c)) {
      const word = match(WORD) as string;
      if (word === 'true' || word === 'false') tokens.push({ kind: 'boolean', text: word, at });
      else if (KEYWORDS.has(word)) tokens.push({ kind: 'keyword', text: word, at });
      else fail(`unknown word "${word}"`, at - 1);
    } else {
      fail(`unexpected "${c}"`);
    }
  }
  tokens.push({ kind: 'end', text: '', at: pattern.length + 1 });
  return tokens;

  /** `ipv4-addr:value`, `file:hashes.'SHA-256'`, `email-message:to_refs[*].value`. */
  function readPath(): string {
    let path = match(OBJECT_TYPE) as string;
    const step = (): void => {
      if (pattern[i] === "'") path += `'${quoted()}'`;
      else path += match(PROPERTY) ?? fail('expected a property name');
    };
    step();
    for (;;) {
      if (pattern[i] === '.') {
        path += '.';
        i++;
        step();
      } else if (pattern[i] === '[' && /^\[(?:\d+|\*)\]/.test(pattern.slice(i))) {
        const index = (/^\[(?:\d+|\*)\]/.exec(pattern.slice(i)) as RegExpExecArray)[0];
        path += index;
        i += index.length;
      } else {
        return path;
      }
    }
  }
}

/**
 * Recursive descent over the STIX grammar. Observation expressions: FOLLOWEDBY binds loosest,
 * then OR, then AND; qualifiers bind to the expression before them. Comparison expressions
 * inside brackets: OR looser than AND.
 */
class PatternParser {
  private position = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parse(): Node {
    const tree = this.observationSequence();
    this.expect('end', '', 'the end of the pattern');
    return tree;
  }

  private observationSequence(): Node {
    return this.joined('FOLLOWEDBY', 'followed-by', () => this.observationOr());
  }

  private observationOr(): Node {
    return this.joined('OR', 'or', () => this.observationAnd());
  }

  private observationAnd(): Node {
    return this.joined('AND', 'and', () => this.qualifiedObservation());
  }

  private qualifiedObservation(): Node {
    let node = this.observation();
    while (this.isKeyword('WITHIN') || this.isKeyword('REPEATS') || this.isKeyword('START')) {
      const qualifier = this.next().text;
      if (qualifier === 'WITHIN') {
        this.expect('number', undefined, 'a number of seconds');
        this.expect('keyword', 'SECONDS', 'SECONDS');
      } else if (qualifier === 'REPEATS') {
        this.expect('number', undefined, 'a number of repeats');
        this.expect('keyword', 'TIMES', 'TIMES');
      } else {
        this.expect('timestamp', undefined, "a timestamp t'…'");
        this.expect('keyword', 'STOP', 'STOP');
        this.expect('timestamp', undefined, "a timestamp t'…'");
      }
      node = { kind: 'qualified', inner: node };
    }
    return node;
  }

  private observation(): Node {
    if (this.isPunct('[')) {
      this.next();
      const inner = this.comparisonOr();
      this.expect('punct', ']', '"]"');
      return inner;
    }
    if (this.isPunct('(')) {
      this.next();
      const inner = this.observationSequence();
      this.expect('punct', ')', '")"');
      return inner;
    }
    return this.unexpected('"[" or "("');
  }

  private comparisonOr(): Node {
    return this.joined('OR', 'or', () => this.comparisonAnd());
  }

  private comparisonAnd(): Node {
    return this.joined('AND', 'and', () => this.comparison());
  }

  private comparison(): Node {
    if (this.isPunct('(')) {
      this.next();
      const inner = this.comparisonOr();
      this.expect('punct', ')', '")"');
      return inner;
    }
    const path = this.expect('path', undefined, 'an object path such as ipv4-addr:value').text;
    const negated = this.isKeyword('NOT');
    if (negated) this.next();
    const token = this.peek();
    const isOperator = token.kind === 'operator' || (token.kind === 'keyword' && COMPARISON_KEYWORDS.has(token.text));
    if (!isOperator) return this.unexpected('a comparison operator');
    const operator = this.next().text;
    if (operator === 'IN') return { kind: 'comparison', path, negated, operator, values: this.literalSet() };
    return { kind: 'comparison', path, negated, operator, values: [this.literal()] };
  }

  private literalSet(): Literal[] {
    this.expect('punct', '(', '"("');
    const values = [this.literal()];
    while (this.isPunct(',')) {
      this.next();
      values.push(this.literal());
    }
    this.expect('punct', ')', '")"');
    return values;
  }

  private literal(): Literal {
    const token = this.peek();
    if (!['string', 'timestamp', 'hex', 'binary', 'number', 'boolean'].includes(token.kind)) return this.unexpected('a value');
    this.next();
    return { kind: token.kind, text: token.text };
  }

  private joined(keyword: string, kind: 'or' | 'and' | 'followed-by', operand: () => Node): Node {
    const parts = [operand()];
    while (this.isKeyword(keyword)) {
      this.next();
      parts.push(operand());
    }
    return parts.length === 1 ? (parts[0] as Node) : { kind, parts };
  }

  private peek(): Token {
    return this.tokens[this.position] as Token;
  }

  private next(): Token {
    const token = this.peek();
    if (token.kind !== 'end') this.position++;
    return token;
  }

  private isKeyword(text: string): boolean {
    const token = this.peek();
    return token.kind === 'keyword' && token.text === text;
  }

  private isPunct(text: string): boolean {
    const token = this.peek();
    return token.kind === 'punct' && token.text === text;
  }

  private expect(kind: TokenKind, text: string | undefined, expected: string): Token {
    const token = this.peek();
    if (token.kind !== kind || (text !== undefined && token.text !== text)) return this.unexpected(expected);
    return this.next();
  }

  private unexpected(expected: string): never {
    const token = this.peek();
    const found = token.kind === 'end' ? 'the end of the pattern' : `"${token.text}"`;
    throw new StixPatternError(`expected ${expected} at character ${token.at}, found ${found}`);
  }
}
