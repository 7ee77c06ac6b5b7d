/**
 * Request validation, per part of the request, with TypeBox's own compiler
 * (the schemas are TypeBox schemas; the same rules the type provider's
 * `TypeBoxValidatorCompiler` follows, plus defaults for query strings).
 *
 * - `body`: checked exactly as sent. JSON carries its own types, so a number,
 *   boolean, null, array or object where the schema wants a string, or a
 *   string where it wants a number or boolean, is `400 bad_request`; nothing
 *   is converted. (Fastify's default Ajv coerces every part: it registered
 *   the username 575304901 as "575304901", took ["x"] for "x" and null for "".)
 * - `querystring`, `params`, `headers`: strings by nature, so text that is
 *   exactly a value of the schema's type is converted (`?limit=20` → 20,
 *   `true`/`false` → booleans, a single `?user=` → a one-element array), and
 *   missing properties get their schema default, before the check. Anything
 *   else stays text and fails it: `1.5`, `0x10`, `1e2` or an empty value are
 *   no integer. (TypeBox's own Value.Convert would read `1.5` as 1 and
 *   `true` as 1.)
 *
 * Every problem is reported, each with a JSON Pointer `instancePath` into its
 * part; the error handler (problem.ts) prefixes the part: `/body/username`.
 */
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

type TypeBoxError = ReturnType<ReturnType<typeof Compile>['Errors']>[number];

interface Schema {
  type?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
}

const INTEGER = /^-?(0|[1-9]\d*)$/;
const NUMBER = /^-?(0|[1-9]\d*)(\.\d+)?$/;

/** Text → the schema's type where the text is exactly such a value; anything else as it was. */
function fromText(schema: Schema, value: unknown): unknown {
  switch (schema.type) {
    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value) || !schema.properties) return value;
      const record = value as Record<string, unknown>;
      for (const [key, property] of Object.entries(schema.properties)) {
        if (key in record) record[key] = fromText(property, record[key]);
      }
      return record;
    }
    case 'array': {
      const items = Array.isArray(value) ? value : [value];
      return schema.items ? items.map((item) => fromText(schema.items!, item)) : items;
    }
    case 'integer':
      return typeof value === 'string' && INTEGER.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : value;
    case 'number':
      return typeof value === 'string' && NUMBER.test(value) ? Number(value) : value;
    case 'boolean':
      return value === 'true' ? true : value === 'false' ? false : value;
    default:
      return value;
  }
}

/**
 * TypeBox reports a property that `additionalProperties: false` forbids
 * twice: at the object ("must not have additional properties") and at the
 * property itself, as the false schema ("schema is false"). The latter names
 * the property, so it says so in words.
 */
function readable(error: TypeBoxError): FastifySchemaValidationError {
  const forbidden = error.keyword === 'boolean' && error.schemaPath.endsWith('/additionalProperties');
  return {
    keyword: error.keyword,
    instancePath: error.instancePath,
    schemaPath: error.schemaPath,
    params: error.params as Record<string, unknown>,
    message: forbidden ? 'is not an allowed property' : error.message,
  };
}

export const validatorCompiler: FastifySchemaCompiler<TSchema> = ({ schema, httpPart }) => {
  const validator = Compile(schema);
  const asSent = httpPart === 'body';
  return (input: unknown) => {
    const value = asSent ? input : fromText(schema as Schema, Value.Default(schema, input));
    if (validator.Check(value)) return { value };
    return { error: validator.Errors(value).map(readable) };
  };
};
