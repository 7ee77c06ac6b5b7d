import { ParleyError } from '../../shared/errors.js';
import { Problem, WebClientConfig } from '../../shared/http/schemas.js';
import { WS_PATH } from '../../shared/protocol/index.js';
import type { App } from '../http/app.js';
import type { RouteDeps } from './deps.js';

/**
 * GET /config.json — the web client's run-time settings, read at start so one
 * build works on any deployment. The gateway URL is API_PUBLIC_WS_URL, or else
 * this request's own origin (ws: for http, wss: for https; the forwarded host
 * and scheme with API_TRUST_PROXY) with /v1/ws: right behind a load balancer
 * that routes that path to the gateways.
 */
export function webConfigRoute(app: App, deps: RouteDeps): void {
  app.get(
    '/config.json',
    {
      schema: {
        tags: ['web'],
        summary: 'The web client\'s settings (gateway URL)',
        security: [],
        response: { 200: WebClientConfig, 400: Problem },
      },
    },
    async (request, reply) => {
      // Settings may change with a redeploy; the page asks again on every load.
      reply.header('cache-control', 'no-cache');
      if (deps.publicWsUrl) return { wsUrl: deps.publicWsUrl };
      const base = `${request.protocol === 'https' ? 'wss' : 'ws'}://${request.host}`;
      if (!request.host || !URL.canParse(base)) throw new ParleyError('bad_request', 'The request has no usable Host');
      return { wsUrl: new URL(WS_PATH, base).href };
    },
  );
}
