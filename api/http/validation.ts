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
 * - `querystring`, `params`, `headers`: strings by nature, so they are
 *   converted to the schema's types (`?limit=20` → 20, a single `?user=` → a
 *   one-element array) and missing properties get their schema default
 *   before the check.
 *
 * Every problem is reported, each with a JSON Pointer `instancePath` into its
 * part; the error handler (problem.ts) prefixes the part: `/body/username`.
 */
import type { FastifySchemaCompiler, FastifySchemaValidationError } from 'fastify';
import type { TSchema } from 'typebox';
import { Compile } from 'typebox/compile';
import { Value } from 'typebox/value';

type TypeBoxError = ReturnType<ReturnType<typeof Compile>['Errors']>[number];

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
    const value = asSent ? input : Value.Convert(schema, Value.Default(schema, input));
    if (validator.Check(value)) return { value };
    return { error: validator.Errors(value).map(readable) };
  };
};
