-- Accept one chat message into a room, atomically.
-- Redis runs a script without interleaving other clients' commands, so the
-- seq assignment, both stream appends, the dedup record and the fan-out
-- publish are observed together or not at all, and seqs are published in order.
--
-- KEYS[1] room counter (hash n, e)  KEYS[2] room log stream
-- KEYS[3] persistence stream        KEYS[4] dedup key for (room, user, cmid)
-- KEYS[5] the partition's epoch
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
-- ARGV[14] floor: the highest seq the caller knows was assigned in this room
--          (0 when it knows none). A counter below it went backwards (Redis
--          lost writes it had acknowledged): nothing is written, so no seq is
--          assigned twice.
--
-- Returns {1, seq} for a new message, or {0, "seq:id:ms"} when this cmid was
-- already accepted (nothing is written or published again).
-- Errors, each with nothing written:
--   "NOEPOCH"            the partition has no epoch (Redis lost its data, or a
--                        new deployment): the caller establishes one and retries;
--   "NOSEQ <epoch>"      the counter is missing or from another epoch: the
--                        caller seeds it (seed.lua) and retries;
--   "REGRESSED <epoch>"  the counter is below ARGV[14], or below the room log's
--                        last entry: Redis lost writes it had acknowledged. The
--                        caller replaces the epoch (bump.lua), which makes the
--                        counter stale, and retries;
--   "BACKLOG"            the persistence stream is over its bound.

local previous = redis.call('GET', KEYS[4])
if previous then
  return {0, previous}
end

local epoch = redis.call('GET', KEYS[5])
if not epoch then
  return redis.error_reply('NOEPOCH the partition has no epoch')
end

local counter = redis.call('HMGET', KEYS[1], 'n', 'e')
if not counter[1] or counter[2] ~= epoch then
  return redis.error_reply('NOSEQ ' .. epoch)
end
if tonumber(counter[1]) < tonumber(ARGV[14] or '0') then
  return redis.error_reply('REGRESSED ' .. epoch)
end

local backlog = tonumber(ARGV[3])
if backlog > 0 and redis.call('XLEN', KEYS[3]) >= backlog then
  return redis.error_reply('BACKLOG persistence queue is full')
end

-- Decoded before any write: malformed JSON raises here, with nothing written yet.
local file = nil
if ARGV[13] and ARGV[13] ~= '' then
  file = cjson.decode(ARGV[13])
end

local seq = tonumber(counter[1]) + 1
-- A nil `file` leaves the key out: text envelopes are unchanged.
local envelope = cjson.encode({
  v = 1,
  id = ARGV[5],
  room = ARGV[6],
  seq = seq,
  ep = epoch,
  uid = ARGV[7],
  un = ARGV[8],
  cmid = ARGV[9],
  kind = ARGV[10],
  body = ARGV[11],
  ts = tonumber(ARGV[12]),
  file = file,
})

-- The first write. The log refuses an id at or below its last entry, which
-- means the counter went backwards: refused, with nothing written.
local logged = redis.pcall('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], seq .. '-0', 'm', envelope)
if type(logged) == 'table' and logged.err then
  if string.find(logged.err, 'equal or smaller', 1, true) then
    return redis.error_reply('REGRESSED ' .. epoch)
  end
  return logged
end
redis.call('HSET', KEYS[1], 'n', seq)
redis.call('XADD', KEYS[3], '*', 'm', envelope)
redis.call('SET', KEYS[4], seq .. ':' .. ARGV[5] .. ':' .. ARGV[12], 'EX', ARGV[4])
redis.call('PUBLISH', ARGV[1], envelope)
return {1, seq}
