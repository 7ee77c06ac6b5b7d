/**
 * The typebox-free part of the Socket.IO mapping (socketio.ts, which
 * re-exports all of it): constants and the pure client-side mapping, so that
 * clients which cannot load `typebox` (the k6 load-test bundles) speak the
 * same events as the gateway. Only type imports here, as in constants.ts.
 */
import type { ClientFrame, ClientFrameType } from './frames.js';

/** The default path of the Socket.IO endpoint (GATEWAY_SOCKETIO_PATH), on the gateway's port. */
export const SOCKETIO_PATH = '/socket.io/';

/** Emitted just before a server-side disconnect: the close code the raw endpoint would send (`ClosingEvent`). */
export const CLOSING_EVENT = 'closing';

/** Client frame types whose one reply is the event's acknowledgement, when the client asks for one. */
export const ACKED_FRAMES: { readonly [K in ClientFrameType]: boolean } = {
  publish: true,
  ping: true,
  resume: false,
  typing: false,
};

/** Client side: the event name and argument for a frame. */
export function toEvent(frame: ClientFrame): [ClientFrameType, ClientFrame] {
  return [frame.type, frame];
}
