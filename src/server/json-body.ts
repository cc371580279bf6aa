import { Ajv } from 'ajv';
import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import { RequestError } from './request-error.js';
import { BODY_LIMIT_BYTES } from './server-options.js';
import { JSON_DEPTH_MAX, nestsDeeper } from './validate-envelope.js';

/**
 * JSON bodies: the size limit and a nesting bound are checked before JSON.parse runs (a 1 MiB body
 * of `[` costs JSON.parse about a second of event loop, stalling every open stream; issue 25
 * item 6), then fastify's own parser (prototype-poisoning checks included) parses.
 */
export function registerJsonBody(fastify: FastifyInstance): void {
  const parse = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit: BODY_LIMIT_BYTES }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (nestsDeeper(text, JSON_DEPTH_MAX)) {
      done(new RequestError('NBS_BAD_JSON', `the body nests arrays or objects deeper than ${JSON_DEPTH_MAX} levels`), undefined);
      return;
    }
    parse(request, text, done);
  });
}

/**
 * The route schemas' compiler: ajv as the contract needs it, not fastify's defaults (which coerce
 * `"notebook_id": 5` into "5", fill defaults and drop unknown fields).
 */
const ajv = new Ajv({ allErrors: false, coerceTypes: false, useDefaults: false, removeAdditional: false, strict: true });
export const strictValidatorCompiler: FastifySchemaCompiler<unknown> = ({ schema }) => ajv.compile(schema as object);
