/**
 * The `ws` client options every target's generator client uses, in one place
 * so that no target is measured with a cheaper client than another: no
 * compression (parley and both baselines decline it anyway), and no UTF-8
 * validation of received frames (the servers are trusted here, and validating
 * would only add the same per-byte cost to every target's deliveries).
 */
import type { ClientOptions } from 'ws';

export const BENCH_WS_OPTIONS = { perMessageDeflate: false, skipUTF8Validation: true } as const satisfies ClientOptions;
