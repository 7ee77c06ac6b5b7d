/**
 * Typed configuration from environment variables, parsed once at startup.
 *
 * A config is a TypeBox object of *slices*; each slice is an object whose leaf
 * properties name their variable with an `env` annotation and may carry a
 * `default`. `loadConfig` converts strings to the declared types, applies
 * defaults, validates every leaf, and throws one `ConfigError` that lists every
 * problem by variable name, so a misconfigured process fails fast and says why.
 *
 * A slice whose settings depend on one another (exactly one of several forms,
 * say) is declared with `parsedSlice`: its leaves load as usual, then its
 * parser turns them into what the program uses, once, at startup.
 *
 * A leaf marked `sensitive` (a password, a URL that may carry one) is never
 * quoted in a problem.
 *
 * Each service's main.ts loads its own config and hands each component only
 * its slice.
 */
import Type, { type Static, type TObject, type TSchema, type TUnsafe } from 'typebox';
import { Value } from 'typebox/value';

export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

type Env = Record<string, string | undefined>;

interface Leaf {
  env?: string;
  default?: unknown;
  /** Never quote the value in a problem (it may hold a password). */
  sensitive?: boolean;
  [k: string]: unknown;
}

type SliceParser = (raw: never, problems: string[]) => unknown;
const parsers = new WeakMap<TSchema, SliceParser>();

/**
 * A slice whose leaves are loaded as usual and then handed to `parse`, which
 * returns the settings the program gets (its static type is what `parse`
 * returns) and pushes any problem, by variable name, onto `problems`. It runs
 * only when every leaf of the slice was valid.
 */
export function parsedSlice<T extends TObject, R>(schema: T, parse: (raw: Static<T>, problems: string[]) => R): TUnsafe<R> {
  const slice = Type.Unsafe<R>(schema);
  parsers.set(slice, parse as SliceParser);
  return slice;
}

/** A leaf setting read from `name`. Options are TypeBox options (default, minimum, …). */
export const setting = {
  string: (name: string, options: Parameters<typeof Type.String>[0] = {}) => Type.String({ ...options, env: name }),
  integer: (name: string, options: Parameters<typeof Type.Integer>[0] = {}) => Type.Integer({ ...options, env: name }),
  number: (name: string, options: Parameters<typeof Type.Number>[0] = {}) => Type.Number({ ...options, env: name }),
  boolean: (name: string, options: Parameters<typeof Type.Boolean>[0] = {}) => Type.Boolean({ ...options, env: name }),
  enum: <const T extends string[]>(name: string, values: readonly [...T], options: { default?: T[number] } = {}) =>
    Type.Enum(values, { ...options, env: name }),
  optionalString: (name: string, options: Parameters<typeof Type.String>[0] = {}) =>
    Type.Optional(Type.String({ ...options, env: name })),
  /**
   * The address a listener binds: an IPv4 or IPv6 address (`0.0.0.0` or `::`
   * for every interface, `127.0.0.1` for this machine only) or a host name.
   */
  host: (name: string, options: { default: string; description?: string }) =>
    Type.Union([Type.String({ format: 'ipv4' }), Type.String({ format: 'ipv6' }), Type.String({ format: 'hostname' })], {
      ...options,
      env: name,
    }),
};

function loadLeaf(key: string, schema: TSchema & Leaf, env: Env, problems: string[]): unknown {
  const name = schema.env ?? key;
  const raw = env[name];
  if (raw === undefined || raw === '') {
    if ('default' in schema) return schema.default;
    if (Type.IsOptional(schema)) return undefined;
    problems.push(`${name}: required but not set`);
    return undefined;
  }
  const converted = Value.Convert(schema, raw);
  if (!Value.Check(schema, converted)) {
    const first = Value.Errors(schema, converted)[0];
    const shown = schema.sensitive ? '(value not shown)' : JSON.stringify(raw.length > 80 ? `${raw.slice(0, 80)}…` : raw);
    problems.push(`${name}=${shown}: ${first?.message ?? 'invalid'}`);
    return undefined;
  }
  return converted;
}

function loadObject(schema: TObject, env: Env, problems: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, prop] of Object.entries(schema.properties) as [string, TSchema & Leaf][]) {
    const value = isObjectSchema(prop) ? loadSlice(prop, env, problems) : loadLeaf(key, prop, env, problems);
    if (value !== undefined) out[key] = value;
  }
  return out;
}

function loadSlice(schema: TObject, env: Env, problems: string[]): unknown {
  const before = problems.length;
  const raw = loadObject(schema, env, problems);
  const parse = parsers.get(schema);
  return parse && problems.length === before ? parse(raw as never, problems) : raw;
}

function isObjectSchema(schema: TSchema): schema is TObject {
  return (schema as { type?: unknown }).type === 'object' && 'properties' in schema;
}

export function loadConfig<T extends TObject>(schema: T, env: Env = process.env): Static<T> {
  const problems: string[] = [];
  const value = loadObject(schema, env, problems);
  if (problems.length > 0) throw new ConfigError(problems);
  return value as Static<T>;
}
