/**
 * The one codec for parley frames, used by server and client alike.
 *
 * Decoding never throws: it returns either a frame that passed its schema or
 * a typed protocol error the caller can send back as an `error` frame.
 * Encoding takes typed frames only, so nobody assembles JSON by hand.
 */
import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { ERRORS, type ErrorCode } from '../errors.js';
import {
  CLIENT_FRAMES,
  SERVER_FRAMES,
  type ClientFrame,
  type ClientFrameType,
  type ServerFrame,
  type ServerFrameOf,
  type ServerFrameType,
} from './frames.js';

export type RawFrame = string | ArrayBuffer | Uint8Array;

export interface ProtocolError {
  code: Extract<ErrorCode, 'bad_frame' | 'unknown_frame_type'>;
  message: string;
  /** The frame's `ref` when it could be read, so the error still correlates. */
  ref?: string;
}

export type Decoded<F> = { ok: true; frame: F } | { ok: false; error: ProtocolError };

type Validator = ReturnType<typeof Compile<TSchema>>;

function compileAll<M extends Record<string, TSchema>>(frames: M): Map<string, Validator> {
  return new Map(Object.entries(frames).map(([type, schema]) => [type, Compile(schema) as Validator]));
}

const clientValidators = compileAll(CLIENT_FRAMES);
const serverValidators = compileAll(SERVER_FRAMES);
const textDecoder = new TextDecoder('utf-8', { fatal: true });

function toText(raw: RawFrame): string | null {
  if (typeof raw === 'string') return raw;
  try {
    return textDecoder.decode(raw);
  } catch {
    return null;
  }
}

function decodeWith<F>(validators: Map<string, Validator>, raw: RawFrame): Decoded<F> {
  const text = toText(raw);
  if (text === null) return fail('bad_frame', 'frame is not valid UTF-8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('bad_frame', 'frame is not valid JSON');
  }
  return checkWith<F>(validators, value);
}

/** Validates an already parsed frame (the Socket.IO transport's event payloads arrive parsed). */
function checkWith<F>(validators: Map<string, Validator>, value: unknown): Decoded<F> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return fail('bad_frame', 'frame must be a JSON object');
  }
  const obj = value as Record<string, unknown>;
  // Echo only a ref that is itself valid, so the error frame passes the schema too.
  const ref = typeof obj.ref === 'string' && obj.ref.length >= 1 && obj.ref.length <= 64 ? obj.ref : undefined;
  if (typeof obj.type !== 'string') return fail('bad_frame', 'frame has no string "type"', ref);
  const validator = validators.get(obj.type);
  if (!validator) return fail('unknown_frame_type', `unknown frame type "${obj.type.slice(0, 32)}"`, ref);
  if (!validator.Check(value)) {
    const first = validator.Errors(value)[0];
    const where = first?.instancePath ? first.instancePath.slice(1).replaceAll('/', '.') : obj.type;
    return fail('bad_frame', `${obj.type}: ${where} ${first?.message ?? 'is invalid'}`, ref);
  }
  return { ok: true, frame: value as F };
}

function fail(code: ProtocolError['code'], message: string, ref?: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: ref === undefined ? { code, message } : { code, message, ref } };
}

/** Server side: parse and validate what a client sent. */
export function decodeClientFrame(raw: RawFrame): Decoded<ClientFrame> {
  return decodeWith<ClientFrame>(clientValidators, raw);
}

/** Server side: validate a client frame that arrived already parsed (a Socket.IO event). */
export function checkClientFrame(value: unknown): Decoded<ClientFrame> {
  return checkWith<ClientFrame>(clientValidators, value);
}

/** Client side: validate a server frame that arrived already parsed (a Socket.IO event). */
export function checkServerFrame(value: unknown): Decoded<ServerFrame> {
  return checkWith<ServerFrame>(serverValidators, value);
}

/** Client side: parse and validate what the server sent. */
export function decodeServerFrame(raw: RawFrame): Decoded<ServerFrame> {
  return decodeWith<ServerFrame>(serverValidators, raw);
}

export function encodeServerFrame(frame: ServerFrame): string {
  return JSON.stringify(frame);
}

export function encodeClientFrame(frame: ClientFrame): string {
  return JSON.stringify(frame);
}

/** Builds an `error` frame for a catalogue code; the message defaults to the catalogue's. */
export function errorFrame(
  code: ErrorCode,
  options: { message?: string; ref?: string | undefined; retryAfterMs?: number | undefined } = {},
): ServerFrameOf<'error'> {
  const spec = ERRORS[code];
  const frame: ServerFrameOf<'error'> = {
    type: 'error',
    code,
    message: options.message ?? spec.message,
    retryable: spec.retryable,
  };
  if (options.ref !== undefined) frame.ref = options.ref;
  if (options.retryAfterMs !== undefined) frame.retryAfterMs = options.retryAfterMs;
  return frame;
}

export function isClientFrameType(type: string): type is ClientFrameType {
  return clientValidators.has(type);
}

export function isServerFrameType(type: string): type is ServerFrameType {
  return serverValidators.has(type);
}
