/**
 * The SDK's rooms, presence, typing and files against a real cluster:
 * typed membership events (invited, removed), presence frames and reads,
 * typing indicators, and a tus upload with progress whose download is
 * byte-identical.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ParleyClient, type ChatMessage, type ParleyClientOptions } from '../client/src/node.js';
import type { TokenResponse } from '../shared/http/schemas.js';
import { eventually } from '../testkit/processes.js';
import { startCluster, type Cluster } from '../testkit/cluster.js';
import { Recorder, sessionOf } from './sdk-recorder.js';

const MiB = 1024 * 1024;

describe('client SDK: rooms, presence, typing, files', () => {
  let c: Cluster;
  let aliceTokens: TokenResponse;
  let bobTokens: TokenResponse;
  let alice: Recorder;
  let bob: Recorder;
  const clients: ParleyClient[] = [];
  const uploadsDir = mkdtempSync(join(tmpdir(), 'parley-sdk-uploads-'));
  const sdk = (tokens: TokenResponse, options: ParleyClientOptions = {}) => {
    const made = new ParleyClient({ apiUrl: c.apiUrl, wsUrl: c.gatewayUrls[0]!, session: sessionOf(tokens), ...options });
    clients.push(made);
    return made;
  };

  /** Bob joins `room`; resolves once his socket follows it (his copy of member_joined marks that). */
  const bobJoins = async (room: string) => {
    await bob.client.join(room);
    await eventually('bob to follow the room', () =>
      bob.events.some((e) => e.room === room && e.event === 'member_joined' && e.user?.id === bob.client.user!.id) ? true : undefined,
    );
  };

  before(async () => {
    c = await startCluster({ gateways: 2, env: { UPLOADS_DIR: uploadsDir, PRESENCE_HEARTBEAT_MS: '200' } });
    aliceTokens = await c.user('alice');
    bobTokens = await c.user('bob');
    alice = new Recorder(sdk(aliceTokens));
    bob = new Recorder(sdk(bobTokens, { wsUrl: c.gatewayUrls[1]! }));
    await Promise.all([alice.client.connect(), bob.client.connect()]);
  });
  after(async () => {
    for (const made of clients) made.disconnect();
    await c?.stop();
    rmSync(uploadsDir, { recursive: true, force: true });
  });

  test('invited, joined, kicked: typed events about me, and the room stops at once', async () => {
    const room = await alice.client.createRoom({ name: 'sdk-private', visibility: 'private', topic: 'secrets' });
    assert.deepEqual([room.role, room.kind, room.topic], ['owner', 'private', 'secrets']);
    await alice.client.invite(room.id, 'bob');
    await eventually('bob to be invited', () => (bob.invited.some((e) => e.room === room.id) ? true : undefined));
    assert.equal(bob.invited[0]!.actor?.username, 'alice');
    const [invite] = await bob.client.invites();
    assert.equal(invite!.room.id, room.id);
    const joined = await bob.client.acceptInvite(room.id);
    assert.equal(joined.role, 'member');
    await eventually('alice to see bob join', () =>
      alice.events.some((e) => e.room === room.id && e.event === 'member_joined' && e.user?.username === 'bob') ? true : undefined,
    );
    // Right after the api's answer, bob may publish and alice receives it.
    const ack = await bob.client.publish(room.id, 'hello from bob');
    await eventually('alice to get it', () => (alice.client.lastSeq(room.id) === ack.seq ? true : undefined));
    const members = await alice.client.members(room.id);
    assert.deepEqual(members.members.map((m) => [m.user.username, m.role]), [['alice', 'owner'], ['bob', 'member']]);

    await alice.client.kick(room.id, bob.client.user!.id);
    await eventually('bob to be removed', () => (bob.removed.some((e) => e.room === room.id) ? true : undefined));
    const removed = bob.removed.find((e) => e.room === room.id)!;
    assert.deepEqual([removed.event, removed.user?.username, removed.actor?.username], ['member_kicked', 'bob', 'alice']);
    assert.equal(bob.client.lastSeq(room.id), undefined, 'a room I was removed from is forgotten');
    await assert.rejects(bob.client.publish(room.id, 'still here?'), { code: 'room_not_found' });
    await assert.rejects(bob.client.room(room.id), { code: 'room_not_found', status: 404 });

    // Rooms, DMs and bans through the same client.
    const dm = await alice.client.openDm('bob');
    assert.equal(dm.kind, 'dm');
    const pub = await alice.client.createRoom({ name: 'sdk-public', visibility: 'public' });
    assert.equal((await alice.client.publicRooms({ q: 'sdk-public' })).rooms[0]!.id, pub.id);
    await bob.client.join(pub.id);
    await alice.client.ban(pub.id, bob.client.user!.id, 'testing');
    await assert.rejects(bob.client.join(pub.id), { code: 'banned' });
    await alice.client.unban(pub.id, bob.client.user!.id);
    await bob.client.join(pub.id);
    await alice.client.setRole(pub.id, bob.client.user!.id, 'admin');
    assert.equal((await alice.client.updateRoom(pub.id, { topic: 'new topic' })).topic, 'new topic');
    await bob.client.leave(pub.id);
    await alice.client.deleteRoom(pub.id);
    await assert.rejects(alice.client.room(pub.id), { code: 'room_not_found' });
  });

  test('presence: frames for a shared room, a custom status, and reads over HTTP', async () => {
    const room = await alice.client.createRoom({ name: 'sdk-presence', visibility: 'public' });
    await bobJoins(room.id);
    const carolTokens = await c.user('carol');
    await c.post(`/v1/rooms/${room.id}/join`, undefined, carolTokens.accessToken);
    const carol = sdk(carolTokens);
    await carol.connect();
    const carolId = carolTokens.user.id;
    await eventually('carol online for bob', () => (bob.presence.some((p) => p.room === room.id && p.user.id === carolId && p.online) ? true : undefined));
    await carol.setStatus('lunch', true);
    await eventually('the status', () =>
      bob.presence.some((p) => p.user.id === carolId && p.status?.text === 'lunch' && p.status.away) ? true : undefined,
    );
    const [entry] = await bob.client.presence([carolId]);
    assert.deepEqual([entry!.online, entry!.status], [true, { text: 'lunch', away: true }]);
    assert.ok((await bob.client.roomPresence(room.id)).members.some((m) => m.user.id === carolId));
    assert.ok((await bob.client.online()).total >= 3);
    await carol.clearStatus();
    carol.disconnect();
    await eventually('carol offline for bob', () => (bob.presence.some((p) => p.user.id === carolId && !p.online) ? true : undefined));
  });

  test('typing: the indicator reaches the room, and repeats within 2 s are not sent', async () => {
    const room = await alice.client.createRoom({ name: 'sdk-typing', visibility: 'public' });
    await bobJoins(room.id);
    const sent = () => alice.frames.filter((f) => f.type === 'pong').length;
    const before = sent();
    alice.client.typing(room.id);
    alice.client.typing(room.id);
    alice.client.typing(room.id);
    await eventually('bob to see alice typing', () => (bob.typing.some((t) => t.room === room.id && t.user.username === 'alice') ? true : undefined));
    assert.equal(bob.typing.filter((t) => t.room === room.id).length, 1);
    await eventually('the one pong', () => (sent() === before + 1 ? true : undefined));
    assert.deepEqual(alice.errors, []);
  });

  test('an upload reports progress, posts a file message, and downloads byte-identical (bytes and a Blob)', async () => {
    const room = await alice.client.createRoom({ name: 'sdk-files', visibility: 'public' });
    await bobJoins(room.id);
    const data = new Uint8Array(randomBytes(3 * MiB + 123));
    const progress: [number, number][] = [];
    const handle = alice.client.upload(room.id, data, {
      filename: 'résumé.bin',
      filetype: 'application/octet-stream',
      chunkSize: MiB,
      onProgress: (sent, total) => progress.push([sent, total]),
    });
    await handle.done;
    assert.ok(progress.length >= 3, `progress reported as it went (${progress.length} calls)`);
    assert.deepEqual(progress.at(-1), [data.length, data.length]);
    const file = await eventually('the file message', () =>
      (bob.delivered.get(room.id) ?? []).find((m: ChatMessage) => m.kind === 'file'),
    );
    assert.deepEqual([file.file!.name, file.file!.size, file.from.username], ['résumé.bin', data.length, 'alice']);
    const blob = await bob.client.download(file.file!.id);
    assert.deepEqual(new Uint8Array(await blob.arrayBuffer()), data);
    assert.equal(bob.client.fileUrl(file.file!.id), `${c.apiUrl}/v1/files/${file.file!.id}`);

    // A Blob (Node's tus reader takes none; the SDK reads it), its type as the file type.
    const text = new Blob(['hello, file'], { type: 'text/plain' });
    await alice.client.upload(room.id, text, { filename: 'hello.txt' }).done;
    const second = await eventually('the text file', () => (bob.delivered.get(room.id) ?? []).find((m) => m.file?.name === 'hello.txt'));
    assert.equal(second.file!.contentType, 'text/plain');
    assert.equal(await (await bob.client.download(second.file!.id)).text(), 'hello, file');

    // Refused for good: a room bob is not in.
    const closed = await alice.client.createRoom({ name: 'sdk-files-private', visibility: 'private' });
    await assert.rejects(bob.client.upload(closed.id, data, { filename: 'x.bin' }).done, { code: 'room_not_found', status: 404 });
    await assert.rejects(bob.client.download('00000000-0000-4000-8000-000000000000'), { code: 'not_found', status: 404 });
  });

  test('cancel() stops an upload and deletes what the server holds of it at once', async () => {
    const room = await alice.client.createRoom({ name: 'sdk-files-cancel', visibility: 'public' });
    const before = new Set(readdirSync(uploadsDir, { recursive: true }).map(String));
    const data = new Uint8Array(randomBytes(4 * MiB));
    let cancelling: Promise<void> | null = null;
    const handle = alice.client.upload(room.id, data, {
      filename: 'cancelled.bin',
      chunkSize: MiB / 4,
      // Cancel once the server holds part of it.
      onProgress: (sent) => {
        if (sent >= MiB / 2 && !cancelling) cancelling = handle.cancel();
      },
    });
    await assert.rejects(handle.done, { name: 'AbortError' });
    await cancelling;
    const left = () => readdirSync(uploadsDir, { recursive: true }).map(String).filter((f) => !before.has(f));
    await eventually('the partial upload deleted', () => left().length === 0 || undefined);
    handle.start();
    assert.equal((await alice.client.history(room.id)).messages.length, 0, 'no file message');
  });
});
