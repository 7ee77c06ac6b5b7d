/**
 * Message bodies the scripts publish. A body is JSON so that a receiver can
 * tell this run's messages (and their send time) from any other traffic in the
 * room, and padded to PARLEY_BODY_BYTES so payload size is a controlled input.
 */

interface LoadBody {
  /** The run id from setup(). */
  run: string;
  /** The sender's Date.now() when it built the frame. */
  sentAt: number;
  pad: string;
}

export function loadBody(run: string, bytes: number): string {
  const body: LoadBody = { run, sentAt: Date.now(), pad: '' };
  // ASCII only, so string length is the UTF-8 size the gateway limits.
  body.pad = 'x'.repeat(Math.max(0, bytes - JSON.stringify(body).length));
  return JSON.stringify(body);
}

/** The send time of a body published by this run, or null for anyone else's message. */
export function sentAtOf(body: string, run: string): number | null {
  if (!body.startsWith('{"run":')) return null;
  try {
    const parsed = JSON.parse(body) as Partial<LoadBody>;
    return parsed.run === run && typeof parsed.sentAt === 'number' ? parsed.sentAt : null;
  } catch {
    return null;
  }
}
