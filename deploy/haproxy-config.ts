/**
 * Reading deploy/haproxy/haproxy.cfg for deploy/manifests.test.ts: sections
 * and their directives as words, enough to check routing, stickiness,
 * health checks and timeouts against the compose file and the gateway's
 * config. Syntax is HAProxy's to check (`haproxy -c -f`); this reader knows
 * only comments, sections and whitespace-separated words (no quoting).
 */
import assert from 'node:assert/strict';

export interface HaproxySection {
  /** `global`, `defaults`, `frontend`, `backend`, `resolvers`… */
  readonly kind: string;
  /** Empty for `global` and an unnamed `defaults`. */
  readonly name: string;
  /** Each directive as its words, in file order. */
  readonly lines: readonly (readonly string[])[];
}

const SECTION_KINDS = new Set(['global', 'defaults', 'frontend', 'backend', 'listen', 'resolvers', 'peers', 'userlist', 'program', 'http-errors', 'ring', 'mailers', 'cache']);

export function parseHaproxy(text: string): HaproxySection[] {
  const sections: { kind: string; name: string; lines: string[][] }[] = [];
  for (const raw of text.split('\n')) {
    const words = raw.replace(/#.*/, '').trim().split(/\s+/).filter((w) => w !== '');
    if (words.length === 0) continue;
    if (SECTION_KINDS.has(words[0]!) && !/^\s/.test(raw)) {
      sections.push({ kind: words[0]!, name: words[1] ?? '', lines: [] });
      continue;
    }
    const current = sections.at(-1);
    assert.ok(current, `haproxy.cfg: "${raw.trim()}" outside any section`);
    current.lines.push(words);
  }
  return sections;
}

export function sectionsOf(sections: readonly HaproxySection[], kind: string): HaproxySection[] {
  return sections.filter((s) => s.kind === kind);
}

export function sectionNamed(sections: readonly HaproxySection[], kind: string, name: string): HaproxySection {
  const found = sections.filter((s) => s.kind === kind && s.name === name);
  assert.equal(found.length, 1, `haproxy.cfg: one ${kind} ${name}`);
  return found[0]!;
}

/** A proxy's directives after those of the `defaults` section before it, which it inherits. */
export function withDefaults(sections: readonly HaproxySection[], proxy: HaproxySection): (readonly string[])[] {
  const at = sections.indexOf(proxy);
  const defaults = sections.slice(0, at).filter((s) => s.kind === 'defaults').at(-1);
  return [...(defaults?.lines ?? []), ...proxy.lines];
}

/** The directives whose first words are `words`. */
export function directives(lines: readonly (readonly string[])[], ...words: string[]): (readonly string[])[] {
  return lines.filter((line) => words.every((w, i) => line[i] === w));
}

/** The last value set for a directive (later lines override earlier ones, a proxy its defaults). */
export function lastValue(lines: readonly (readonly string[])[], ...words: string[]): string | undefined {
  return directives(lines, ...words).at(-1)?.[words.length];
}

/** An HAProxy time (`5s`, `1h`, `500ms`; a bare number is milliseconds) in seconds. */
export function haproxySeconds(time: string | undefined): number {
  const match = /^(\d+)(us|ms|s|m|h|d)?$/.exec(time ?? '');
  assert.ok(match, `unparsable HAProxy time ${time}`);
  const unit = { us: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 'ms') as 'us' | 'ms' | 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}
