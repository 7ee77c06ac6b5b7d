/**
 * What the reconnect-and-resume scenario measures, beyond lib/metrics.ts.
 * Thresholds come from PARLEY_* settings (loadtest/README.md).
 */
import { Counter, Rate, Trend } from 'k6/metrics';
import { integer, positive } from './config.js';

/** Per `resumed` frame: true when the room log still reached back to the socket's position. */
export const resumeRecovered = new Rate('parley_resume_recovered');
/** Seqs the server said it could not replay or relay (`resumed.missing`, `gap` frames): readable from history only. */
export const missingAnnounced = new Counter('parley_missing_announced');
/** Messages received twice on one client (seq at or below the last one it had). */
export const duplicates = new Counter('parley_duplicates');
/** Seqs skipped without any announcement: the server broke its promise. */
export const silentGaps = new Counter('parley_silent_gaps');
/** Sockets that closed without the script asking, and were reopened. */
export const reconnects = new Counter('parley_reconnects');
/** From a socket closing to every room of the new socket being resumed. */
export const reconnectLatency = new Trend('parley_reconnect_latency', true);
/** Unacked publishes sent again, with the same cmid, on the next socket. */
export const publishRetries = new Counter('parley_publish_retries');

const recoveredRate = positive('PARLEY_RESUME_RECOVERED_RATE', 0.99, { max: 1 });
const maxMissing = integer('PARLEY_MAX_MISSING', 0, { min: 0 });
const minReconnects = integer('PARLEY_MIN_RECONNECTS', 1, { min: 0 });
const reconnectP95Ms = positive('PARLEY_RECONNECT_P95_MS', 5000);

export const resumeThresholds = {
  parley_resume_recovered: [`rate>=${recoveredRate}`],
  parley_missing_announced: [`count<=${maxMissing}`],
  parley_duplicates: ['count==0'],
  parley_silent_gaps: ['count==0'],
  parley_reconnect_latency: [`p(95)<${reconnectP95Ms}`],
  // A run without reconnects tested nothing: restart the gateways during it.
  ...(minReconnects > 0 ? { parley_reconnects: [`count>=${minReconnects}`] } : {}),
};
