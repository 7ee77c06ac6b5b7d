/**
 * Opaque page cursors: base64url of a JSON array whose first element names the
 * listing, so a cursor from one listing (or a forged one) is refused with 400
 * instead of silently giving a wrong page.
 */
import { invalidRequest } from '../http/problem.js';

export function encodeCursor(listing: string, position: readonly string[]): string {
  return Buffer.from(JSON.stringify([listing, ...position])).toString('base64url');
}

/** The position in `cursor` (or undefined without one); 400 when it is not a cursor of `listing` with `arity` parts. */
export function decodeCursor<N extends number>(
  listing: string,
  arity: N,
  cursor: string | undefined,
): (N extends 2 ? [string, string] : N extends 3 ? [string, string, string] : string[]) | undefined {
  if (cursor === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (
    !Array.isArray(value) ||
    value.length !== arity + 1 ||
    value[0] !== listing ||
    !value.every((v) => typeof v === 'string' && v.length <= 256)
  ) {
    throw invalidRequest('querystring', '/cursor', 'is not a cursor of this listing; pass back nextCursor unchanged');
  }
  return value.slice(1) as never;
}

/**
 * One page from `limit + 1` fetched rows: the extra row only says there is a
 * next page, whose cursor is the position of the last row returned.
 */
export function page<T, R>(
  rows: T[],
  limit: number,
  listing: string,
  position: (row: T) => readonly string[],
  present: (row: T) => R,
): { items: R[]; nextCursor: string | null } {
  const more = rows.length > limit;
  const kept = more ? rows.slice(0, limit) : rows;
  return {
    items: kept.map(present),
    nextCursor: more ? encodeCursor(listing, position(kept[kept.length - 1]!)) : null,
  };
}
