/**
 * The benchmark message body: `t=<sent at, epoch ms>;p=<publisher>;n=<number>;`
 * padded with `x` to a fixed size, so every target carries the same bytes.
 * `t` comes from `clockMs()` in the publishing thread and is compared with
 * `clockMs()` in the receiving thread of the same process.
 *
 * Receivers parse bodies in place (no substrings, no objects): a generator
 * thread parses tens of thousands of them per second.
 */

/** Epoch milliseconds with sub-millisecond resolution, monotonic within a thread. */
export const clockMs = (): number => performance.timeOrigin + performance.now();

/** The id a target sees for a message (parley: the cmid). Unique per run. */
export const messageId = (publisher: number, n: number): string => `${publisher}:${n}`;

/** Bytes the fixed part takes at most; bodies may not be smaller than this. */
export const MIN_BODY_BYTES = 48;

export function makeBody(sentAtMs: number, publisher: number, n: number, size: number): string {
  return `t=${sentAtMs.toFixed(3)};p=${publisher};n=${n};`.padEnd(size, 'x');
}

/** Fields of the last body `parseBody` accepted; reused, so copy before the next call. */
export const parsed = { sentAtMs: 0, publisher: 0, n: 0 };

/** Parses a body made by `makeBody` into `parsed`; false for anything else. */
export function parseBody(body: string): boolean {
  const len = body.length;
  if (len < 12 || body.charCodeAt(0) !== 116 /* t */ || body.charCodeAt(1) !== 61 /* = */) return false;
  let i = 2;
  let whole = 0;
  let c = body.charCodeAt(i);
  while (c >= 48 && c <= 57) {
    whole = whole * 10 + (c - 48);
    c = body.charCodeAt(++i);
  }
  let frac = 0;
  let scale = 1;
  if (c === 46 /* . */) {
    c = body.charCodeAt(++i);
    while (c >= 48 && c <= 57) {
      frac = frac * 10 + (c - 48);
      scale *= 10;
      c = body.charCodeAt(++i);
    }
  }
  if (c !== 59 /* ; */ || body.charCodeAt(i + 1) !== 112 /* p */ || body.charCodeAt(i + 2) !== 61) return false;
  i += 3;
  let publisher = 0;
  c = body.charCodeAt(i);
  if (!(c >= 48 && c <= 57)) return false;
  while (c >= 48 && c <= 57) {
    publisher = publisher * 10 + (c - 48);
    c = body.charCodeAt(++i);
  }
  if (c !== 59 || body.charCodeAt(i + 1) !== 110 /* n */ || body.charCodeAt(i + 2) !== 61) return false;
  i += 3;
  let n = 0;
  c = body.charCodeAt(i);
  if (!(c >= 48 && c <= 57)) return false;
  while (c >= 48 && c <= 57) {
    n = n * 10 + (c - 48);
    c = body.charCodeAt(++i);
  }
  if (c !== 59) return false;
  parsed.sentAtMs = whole + frac / scale;
  parsed.publisher = publisher;
  parsed.n = n;
  return true;
}
