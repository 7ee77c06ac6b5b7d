/**
 * Just enough PromQL reading to find the series an expression selects and the
 * labels its selectors match on. Syntax is promtool's job (see
 * promtool.test.ts); this only has to tell metric names from functions,
 * keywords and label lists, which a lexer plus a little context does.
 */

export interface Selector {
  readonly metric: string;
  /** Label names in the selector's `{…}` matchers. */
  readonly labels: readonly string[];
}

type Token =
  | { kind: 'ident'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'number'; text: string }
  | { kind: 'punct'; text: string };

/** Aggregation operators: followed by `(` or by a `by`/`without` clause. */
const AGGREGATIONS = new Set(['sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio']);
/** Keywords followed by a parenthesised list of label names. */
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
/** Binary operators and modifiers that read as words. */
const WORD_OPERATORS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'atan2', 'inf', 'nan']);

function lex(expr: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < expr.length) {
    const c = expr[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
    } else if (c === '"' || c === "'" || c === '`') {
      let j = i + 1;
      while (j < expr.length && expr[j] !== c) j += expr[j] === '\\' && c !== '`' ? 2 : 1;
      if (j >= expr.length) throw new Error(`unterminated string in: ${expr}`);
      tokens.push({ kind: 'string', text: expr.slice(i + 1, j) });
      i = j + 1;
    } else if (c === '[') {
      // Range and subquery brackets hold durations, possibly Grafana variables: nothing to select.
      const end = expr.indexOf(']', i);
      if (end < 0) throw new Error(`unterminated [ in: ${expr}`);
      i = end + 1;
    } else if (/[a-zA-Z_:]/.test(c)) {
      const match = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(expr.slice(i))!;
      tokens.push({ kind: 'ident', text: match[0] });
      i += match[0].length;
    } else if (/[0-9.]/.test(c)) {
      // Numbers, including exponents and durations such as `5m` after `offset`.
      const match = /^[0-9.]+(?:e[+-]?[0-9]+)?[a-zA-Z]*/.exec(expr.slice(i))!;
      tokens.push({ kind: 'number', text: match[0] });
      i += match[0].length;
    } else {
      tokens.push({ kind: 'punct', text: c });
      i++;
    }
  }
  return tokens;
}

/** Every instant or range vector selector in an expression, in order. */
export function selectorsOf(expr: string): Selector[] {
  const tokens = lex(expr);
  const out: Selector[] = [];
  let i = 0;
  const peek = (offset = 0): Token | undefined => tokens[i + offset];
  const isPunct = (t: Token | undefined, text: string) => t?.kind === 'punct' && t.text === text;
  /** Reads a `{…}` matcher list at i, returning the label names. */
  const matchers = (): string[] => {
    const labels: string[] = [];
    i++; // {
    while (i < tokens.length && !isPunct(peek(), '}')) {
      const token = peek()!;
      if (token.kind === 'ident') {
        labels.push(token.text);
        // The operator (=, !=, =~, !~) and the quoted value.
        i++;
        while (i < tokens.length && peek()!.kind === 'punct' && !isPunct(peek(), '}') && !isPunct(peek(), ',')) i++;
        if (peek()?.kind !== 'string') throw new Error(`label ${token.text} without a quoted value in: ${expr}`);
      }
      i++;
    }
    if (!isPunct(peek(), '}')) throw new Error(`unterminated { in: ${expr}`);
    i++; // }
    return labels;
  };
  while (i < tokens.length) {
    const token = peek()!;
    if (token.kind === 'ident' && LABEL_LIST_KEYWORDS.has(token.text)) {
      i++;
      if (isPunct(peek(), '(')) {
        while (i < tokens.length && !isPunct(peek(), ')')) i++;
        i++;
      }
    } else if (token.kind === 'ident' && (AGGREGATIONS.has(token.text) || WORD_OPERATORS.has(token.text))) {
      i++;
    } else if (token.kind === 'ident' && isPunct(peek(1), '(')) {
      i++; // a function call
    } else if (token.kind === 'ident') {
      i++;
      out.push({ metric: token.text, labels: isPunct(peek(), '{') ? matchers() : [] });
    } else if (isPunct(token, '{')) {
      throw new Error(`selector without a metric name in: ${expr}`);
    } else {
      i++;
    }
  }
  return out;
}
