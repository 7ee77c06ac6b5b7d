/**
 * The fan-out check both baselines' tests run against their real two-process
 * servers, through their own TargetClient.
 *
 * Exactly-once is checked without timing: Redis delivers one publisher
 * connection's messages to each subscriber connection in order, and each
 * socket's frames arrive in order, so once a marker published after the
 * messages has arrived, every copy of them that was ever going to arrive has.
 * A second marker from the other process also flushes copies that a process
 * might wrongly get back from Redis for its own publishes.
 */
import assert from 'node:assert/strict';
import { eventually } from '../../testkit/processes.js';
import type { BenchSocket, ClientSpec, TargetClient, TargetServer } from '../bench/target.js';

interface Probe {
  name: string;
  socket: BenchSocket;
  /** `room:body`, in arrival order. */
  got: string[];
  acks: number;
  closes: number[];
}

async function open(client: TargetClient, name: string, spec: ClientSpec): Promise<Probe> {
  const got: string[] = [];
  const closes: number[] = [];
  const socket = await client.connect(spec, {
    onDeliver: (room, body) => got.push(`${room}:${body}`),
    onClose: (code) => closes.push(code),
  });
  return { name, socket, got, acks: 0, closes };
}

function publish(probe: Probe, room: string, body: string): void {
  probe.socket.publish(room, body, `${probe.name}-${body}`, () => probe.acks++);
}

const waitFor = (probes: Probe[], entry: string) =>
  eventually(`${entry} at ${probes.map((p) => p.name).join(', ')}`, () => (probes.every((p) => p.got.includes(entry)) ? true : undefined));

/**
 * Room a has sockets on both processes (two on the first), room b one on
 * each, and one socket on the second process is in both. Returns once every
 * socket is closed; the caller stops the server.
 */
export async function checkFanOut(server: TargetServer, client: TargetClient): Promise<void> {
  const [one, two] = server.endpoints;
  assert.ok(one && two, 'two endpoints');
  const { users, rooms } = await server.prepare(6, 2, []);
  const [a, b] = rooms as [string, string];
  // Sockets to the second process come from another loopback address, so localAddress is exercised.
  const spec = (i: number, endpoint: string, socketRooms: string[]): ClientSpec => ({
    user: users[i]!.user,
    endpoint,
    rooms: socketRooms,
    localAddress: endpoint === one ? '127.0.0.1' : '127.0.0.2',
  });

  // The first socket of a room on each process comes right before the
  // publishes: "connected" must already mean "will receive".
  const otherB1 = await open(client, 'otherB1', spec(0, one, [b]));
  const sender = await open(client, 'sender', spec(1, one, [a]));
  const localA = await open(client, 'localA', spec(2, one, [a]));
  const otherB2 = await open(client, 'otherB2', spec(3, two, [b]));
  const both = await open(client, 'both', spec(4, two, [b, a]));
  const remoteA = await open(client, 'remoteA', spec(5, two, [a]));
  const inA = [sender, localA, both, remoteA];
  const inB = [otherB1, otherB2, both];

  const bodies = ['first', 'second with "quotes" and \\ and ünïcode', 'third'];
  for (const body of bodies) publish(sender, a, body);
  publish(sender, a, 'end-1');
  await waitFor(inA, `${a}:end-1`);
  publish(remoteA, a, 'end-2');
  await waitFor(inA, `${a}:end-2`);
  publish(otherB2, b, 'end-b');
  await waitFor(inB, `${b}:end-b`);

  const expectedA = [...bodies, 'end-1', 'end-2'].map((body) => `${a}:${body}`);
  for (const probe of [sender, localA, remoteA]) assert.deepEqual(probe.got, expectedA, `${probe.name} gets room a's messages exactly once, in order`);
  assert.deepEqual(both.got, [...expectedA, `${b}:end-b`], 'a socket in two rooms gets both rooms exactly once');
  for (const probe of [otherB1, otherB2]) assert.deepEqual(probe.got, [`${b}:end-b`], `${probe.name} gets nothing from room a`);

  await eventually('every publish acknowledged', () => (sender.acks === 4 && remoteA.acks === 1 && otherB2.acks === 1 ? true : undefined));

  const all = [...inA, otherB1, otherB2];
  for (const probe of all) probe.socket.close();
  await eventually('every socket reports its close', () => (all.every((p) => p.closes.length === 1) ? true : undefined));
}
