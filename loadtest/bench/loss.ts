/**
 * Loss accounting: every acked message must reach every socket of its room
 * (parley delivers to the sender too). Hosts count deliveries per message;
 * the publisher's host knows which messages were acked; summing over hosts
 * gives, per message, deliveries against the room's fanout.
 */
import type { AccountSlice } from './host-protocol.js';

export interface LossReport {
  /** Messages published in the accounted range. */
  messages: number;
  acked: number;
  /** Σ over acked messages of their fanout. */
  expectedDeliveries: number;
  /** Deliveries counted for messages in the range (duplicates excluded). */
  delivered: number;
  /** Σ over acked messages of the deliveries missing: must be 0. */
  ackedNotDelivered: number;
  /** Acked messages that missed at least one socket. */
  messagesWithLoss: number;
  /** Messages delivered at least once but never acked. */
  deliveredUnacked: number;
  /** Deliveries beyond a message's fanout (a socket outside the room got it). */
  excess: number;
}

export const emptyLoss = (): LossReport => ({
  messages: 0,
  acked: 0,
  expectedDeliveries: 0,
  delivered: 0,
  ackedNotDelivered: 0,
  messagesWithLoss: 0,
  deliveredUnacked: 0,
  excess: 0,
});

/** `slices` from every host for the same ranges; `fanoutOf(p)` is publisher p's room size. */
export function accountLoss(slices: AccountSlice[], fanoutOf: (publisher: number) => number): LossReport {
  const byPublisher = new Map<number, AccountSlice[]>();
  for (const s of slices) {
    const list = byPublisher.get(s.publisher) ?? [];
    list.push(s);
    byPublisher.set(s.publisher, list);
  }
  const report = emptyLoss();
  for (const [p, list] of byPublisher) {
    const length = Math.max(...list.map((s) => s.received.length));
    const from = list[0]!.from;
    if (list.some((s) => s.from !== from)) throw new Error(`publisher ${p}: hosts disagree on the accounted range`);
    const received = new Float64Array(length);
    for (const s of list) s.received.forEach((v, k) => (received[k]! += v));
    const acked = list.find((s) => s.acked)?.acked ?? new Uint8Array(length);
    const fanout = fanoutOf(p);
    report.messages += length;
    for (let k = 0; k < length; k++) {
      const got = received[k]!;
      report.delivered += got;
      if (got > fanout) report.excess += got - fanout;
      if (acked[k] === 1) {
        report.acked++;
        report.expectedDeliveries += fanout;
        if (got < fanout) {
          report.ackedNotDelivered += fanout - got;
          report.messagesWithLoss++;
        }
      } else if (got > 0) {
        report.deliveredUnacked++;
      }
    }
  }
  return report;
}

export function addLoss(a: LossReport, b: LossReport): LossReport {
  const out = emptyLoss();
  for (const k of Object.keys(out) as (keyof LossReport)[]) out[k] = a[k] + b[k];
  return out;
}
