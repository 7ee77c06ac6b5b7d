/**
 * The host side of the orchestrator link, independent of the transport
 * (worker thread port or child-process IPC): the first request must be
 * `init`; every request gets one reply, failures included.
 */
import type { HostEnvelope, HostReplies, HostReply, HostRequestType } from './host-protocol.js';
import { SocketHost } from './host.js';

export interface HostChannel {
  onRequest(handler: (envelope: HostEnvelope) => void): void;
  reply(reply: HostReply): void;
}

export function serveHost(channel: HostChannel): void {
  let host: SocketHost | null = null;
  channel.onRequest(({ id, request }) => {
    const run = async (): Promise<HostReplies[HostRequestType]> => {
      if (request.type === 'init') {
        host = await SocketHost.create(request.init);
        return { type: 'ready' };
      }
      if (!host) throw new Error(`"${request.type}" before "init"`);
      return host.handle(request);
    };
    run().then(
      (body) => channel.reply({ id, ok: true, body }),
      (err: unknown) => channel.reply({ id, ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
    );
  });
}
