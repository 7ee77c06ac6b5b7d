/**
 * What the benchmark generator drives: parley itself, or one of the two
 * baselines (a bare uWebSockets.js relay over Redis pub/sub, and Socket.IO 4
 * with @socket.io/redis-adapter). Every target is measured with the same
 * generator, the same payloads and the same scenarios, so the only thing that
 * differs between runs is the server side and the few lines of client code
 * that speak its wire format.
 *
 * A target has two halves:
 * - `TargetServer` (runs in the orchestrating process): starts the server
 *   processes, prepares users and rooms, and names the processes to measure;
 * - `TargetClient` (runs inside generator worker threads): opens one socket and
 *   publishes/receives on it. It must be cheap: one generator thread runs
 *   thousands of these.
 */

/**
 * `parley-cluster1` and `parley-cluster3` are parley on a Redis Cluster of
 * the run's own with 1 and 3 primaries (scenario 2 only): the same services
 * and client as `parley`, so the pair measures what spreading the
 * partitions over primaries changes.
 *
 * `parley-socketio` is parley (the same services, started the same way)
 * driven through its gateways' Socket.IO endpoint with a client on the
 * Socket.IO baseline's codec: against `parley` it measures the transport,
 * against `socketio` parley's features on one wire protocol.
 */
export type TargetKind = 'parley' | 'parley-socketio' | 'parley-cluster1' | 'parley-cluster3' | 'relay' | 'socketio';

/** One simulated user's socket, as the generator sees it. */
export interface ClientSpec {
  /** Opaque user handle from `TargetServer.prepare`. */
  user: string;
  /** parley: an access token; baselines: unused. */
  token?: string;
  /** Rooms this socket receives messages from (handles from `prepare`). */
  rooms: string[];
  /** Which of `TargetServer.endpoints` to connect to. */
  endpoint: string;
  /** Source address for the TCP connection (127.0.0.x), so one machine can open more sockets than one address has ephemeral ports. */
  localAddress?: string;
}

export interface ClientHandlers {
  /** A message arrived on this socket. `body` is exactly what the publisher sent. */
  onDeliver(room: string, body: string): void;
  /** The socket closed (code as the client saw it). */
  onClose(code: number): void;
  /**
   * The server reported an error on this socket (parley: an `error` frame,
   * e.g. `rate_limited` or `overloaded`; baselines may never call it). The
   * generator counts these by code; any error ends a scenario 1 step.
   */
  onError?(code: string): void;
}

/** An open socket that can publish. */
export interface BenchSocket {
  /**
   * Publishes `body` to `room`. `onAck` is called once the server confirms the
   * message: for parley the `ack` frame (the message is sequenced and queued
   * for persistence), for Socket.IO the emit acknowledgement (sent after the
   * adapter published it); the bare relay has no acks, so it calls `onAck` as
   * soon as the frame is handed to the socket. `id` is unique per message.
   */
  publish(room: string, body: string, id: string, onAck: () => void): void;
  close(): void;
}

export interface TargetClient {
  readonly kind: TargetKind;
  /** Resolves once the socket is open and will receive every message published to its rooms from then on. */
  connect(spec: ClientSpec, handlers: ClientHandlers): Promise<BenchSocket>;
}

export interface PreparedWorkload {
  /** users[i] is the handle (and, for parley, token) of user i. */
  users: { user: string; token?: string }[];
  /** rooms[r] is the handle of room r. */
  rooms: string[];
}

export interface ServerProcessInfo {
  /** e.g. 'gateway-1', 'relay-2', 'worker', 'redis'. */
  name: string;
  pid: number;
  /** Sockets are attached to this process (RSS per socket is computed over these). */
  holdsSockets: boolean;
}

export interface RedisNodeInfo {
  /** The process name it has in `processes()`, e.g. 'redis-2'. */
  name: string;
  url: string;
  /** parley's partitions whose slots the node serves (their keys, streams and channels). */
  partitions: number[];
  /** Other things the node serves that one slot holds (e.g. 'presence', 'control'). */
  extras: string[];
}

export interface TargetServer {
  readonly kind: TargetKind;
  /** WebSocket URLs, one per server process that accepts sockets (two for every target). */
  readonly endpoints: string[];
  /**
   * Creates `users` users and `rooms` rooms, and makes user i a member of
   * every room listed in `membership[i]`. For parley this goes through the
   * database directly (registering 10,000 users with argon2id through the api
   * would take longer than the benchmark itself); the baselines need nothing.
   */
  prepare(users: number, rooms: number, membership: number[][]): Promise<PreparedWorkload>;
  /** Every process whose CPU and memory the report shows. */
  processes(): ServerProcessInfo[];
  /**
   * The target keeps state in the machine's Postgres, so every postgres
   * process's CPU counts as its server CPU (parley). Absent: it does not
   * (the baselines), and Postgres's CPU in its windows is someone else's.
   */
  readonly usesPostgres?: boolean;
  /**
   * The target runs on Redis processes of its own, listed in `processes()`:
   * the machine's shared Redis is then not the target's and is not measured
   * with it.
   */
  readonly ownRedis?: boolean;
  /**
   * The target's own Redis nodes whose counters (INFO commandstats, stats,
   * CLUSTER INFO) every publishing window reads per node: a Redis Cluster's
   * primaries, to show how the load spreads over shards (redis-nodes.ts).
   */
  redisNodes?(): RedisNodeInfo[];
  stop(): Promise<void>;
}
