/**
 * Just enough of the Prometheus text format to read parley's own metrics
 * endpoints: samples of one metric family, with their labels.
 */

export interface Sample {
  labels: Record<string, string>;
  value: number;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Every sample whose metric name is exactly `name` (e.g. `x_bucket` for a histogram's buckets). */
export function samples(text: string, name: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = LINE.exec(line);
    if (!m || m[1] !== name) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(LABEL)) labels[l[1]!] = l[2]!;
    out.push({ labels, value: Number(m[3]) });
  }
  return out;
}

/** Sum of every sample of `name`, across labels; 0 when absent. */
export function total(text: string, name: string): number {
  return samples(text, name).reduce((sum, s) => sum + s.value, 0);
}

/** Cumulative histogram buckets (`le` → count), sorted by bound. */
export function buckets(text: string, name: string): { le: number; count: number }[] {
  return samples(text, `${name}_bucket`)
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value }))
    .sort((a, b) => a.le - b.le);
}

/**
 * The bucket upper bound below which a fraction q of the observations made
 * between two scrapes fall (`before` and `after` from `buckets`); null when
 * nothing was observed in between. Coarse by nature: a bucket bound, not a value.
 */
export function quantileBetween(before: { le: number; count: number }[], after: { le: number; count: number }[], q: number): number | null {
  const prior = new Map(before.map((b) => [b.le, b.count]));
  const deltas = after.map((b) => ({ le: b.le, count: b.count - (prior.get(b.le) ?? 0) }));
  const all = deltas.at(-1)?.count ?? 0;
  if (all <= 0) return null;
  const rank = q * all;
  return deltas.find((b) => b.count >= rank)?.le ?? null;
}
