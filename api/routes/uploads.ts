import Type from 'typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Problem } from '../../shared/http/schemas.js';
import type { App } from '../http/app.js';
import { answerPreflight, isPreflight, OWN_OPTIONS_CORS } from '../http/cors.js';
import { UPLOADS_PATH } from '../uploads/tus.js';
import type { RouteDeps } from './deps.js';

/**
 * /v1/uploads — the tus 1.0 endpoint (discovery, creation, HEAD/PATCH resume,
 * termination). Fastify hands the raw request to @tus/server, which
 * authenticates, authorizes and writes the response (see uploads/tus.ts); its
 * content-type parser for chunks leaves the body unread for tus.
 */
export function uploadsRoute(app: App, deps: RouteDeps): void {
  app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => done(null));
  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    reply.hijack();
    await deps.tus.handle(request.raw, reply.raw);
  };
  const empty = (description: string) => Type.Null({ description });
  const problems = { 400: Problem, 401: Problem, 403: Problem, 404: Problem, 409: Problem, 413: Problem, 415: Problem };
  app.post(
    UPLOADS_PATH,
    {
      schema: {
        tags: ['files'],
        summary: 'Create an upload (tus creation; Upload-Metadata: room, filename, filetype)',
        response: { 201: empty('Created; Location is the upload URL'), ...problems },
      },
    },
    handle,
  );
  // tus discovery needs no token: tus answers Tus-Version, Tus-Max-Size and the store's Tus-Extension.
  // A CORS preflight to the same URL is answered as on any other route.
  app.options(
    UPLOADS_PATH,
    {
      config: OWN_OPTIONS_CORS,
      schema: {
        tags: ['files'],
        summary: 'tus discovery: the protocol versions, the size limit and the extensions the server supports',
        security: [],
        response: { 204: empty('Tus-Version, Tus-Max-Size and Tus-Extension describe the server'), 404: Problem },
      },
    },
    async (request, reply) => (isPreflight(request) ? answerPreflight(reply) : handle(request, reply)),
  );
  const one = `${UPLOADS_PATH}/:id`;
  const params = Type.Object({ id: Type.String({ pattern: '^[A-Za-z0-9_-]+$' }) });
  app.route({
    method: ['HEAD', 'PATCH'],
    url: one,
    schema: {
      tags: ['files'],
      summary: 'Read the offset (HEAD) or append a chunk (PATCH) of your upload',
      params,
      response: { 204: empty('Upload-Offset holds the offset'), ...problems },
    },
    handler: handle,
  });
  app.delete(
    one,
    {
      schema: {
        tags: ['files'],
        summary: 'Cancel your upload (tus termination)',
        params,
        response: { 204: empty('Deleted'), ...problems },
      },
    },
    handle,
  );
}
