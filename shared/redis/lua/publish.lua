-- Accept one chat message into a room, atomically.
-- Redis runs a script without interleaving other clients' commands, so the
-- seq assignment, both stream appends, the dedup record and the fan-out
-- publish are observed together or not at all, and seqs are published in order.
--
-- KEYS[1] room seq counter      KEYS[2] room log stream
-- KEYS[3] persistence stream    KEYS[4] dedup key for (room, user, cmid)
-- ARGV[1] pub/sub channel       ARGV[2] room log MAXLEN (approximate)
-- ARGV[3] max persistence backlog (0 = unbounded)
-- ARGV[4] dedup TTL seconds
-- ARGV[5] message id  ARGV[6] room id  ARGV[7] author id  ARGV[8] author username
-- ARGV[9] cmid        ARGV[10] kind    ARGV[11] body       ARGV[12] accepted-at ms
-- ARGV[13] attachment: the file as a JSON object string, '' (or absent) when none.
--          Decoded and embedded as the envelope's `file` object (not a string
--          inside a string), so every reader sees one plain JSON document.
--          The caller validates it (see fileRefProblem in broker/envelope.ts):
--          cjson re-prints numbers with 14 significant digits.
--
-- Returns {1, seq} for a new message, or {0, "seq:id:ms"} when this cmid was
-- already accepted (nothing is written or published again).
-- Errors: "NOSEQ" when the counter is missing (caller seeds it with seed.lua and
-- retries); "BACKLOG" when the persistence stream is over its bound.

local previous = redis.call('GET', KEYS[4])
if previous then
  return {0, previous}
end

if redis.call('EXISTS', KEYS[1]) == 0 then
  return redis.error_reply('NOSEQ room sequence is not initialised')
end

local backlog = tonumber(ARGV[3])
if backlog > 0 and redis.call('XLEN', KEYS[3]) >= backlog then
  return redis.error_reply('BACKLOG persistence queue is full')
end

-- Decoded before INCR: malformed JSON raises here, with nothing written yet.
local file = nil
if ARGV[13] and ARGV[13] ~= '' then
  file = cjson.decode(ARGV[13])
end

local seq = redis.call('INCR', KEYS[1])
-- A nil `file` leaves the key out: text envelopes are unchanged.
local envelope = cjson.encode({
  v = 1,
  id = ARGV[5],
  room = ARGV[6],
  seq = seq,
  uid = ARGV[7],
  un = ARGV[8],
  cmid = ARGV[9],
  kind = ARGV[10],
  body = ARGV[11],
  ts = tonumber(ARGV[12]),
  file = file,
})

redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'm', envelope)
redis.call('XADD', KEYS[3], '*', 'm', envelope)
redis.call('SET', KEYS[4], seq .. ':' .. ARGV[5] .. ':' .. ARGV[12], 'EX', ARGV[4])
redis.call('PUBLISH', ARGV[1], envelope)
return {1, seq}
