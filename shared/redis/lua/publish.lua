-- Accept a batch of chat messages, all in rooms of one persistence partition,
-- atomically per message and in order.
-- Redis runs a script without interleaving other clients' commands, so each
-- message's seq assignment, both stream appends, the dedup record and the
-- fan-out publish are observed together or not at all, and seqs are published
-- in order. Messages are taken in the order given; a refused message refuses
-- every later message of its room in the batch with the same error (nothing
-- written for them either), so a room's messages can never overtake one
-- another through a refusal and its retry. Messages of other rooms go on.
--
-- One call carries one partition's messages so that every key shares the
-- partition's hash tag (one Redis Cluster slot).
--
-- KEYS[1] the partition's epoch     KEYS[2] the partition's persistence stream
-- then per message i (from 0): KEYS[3+3i] room counter (hash n, e),
--   KEYS[4+3i] room log stream, KEYS[5+3i] dedup key for (room, user, cmid)
-- ARGV[1] room log MAXLEN (approximate)
-- ARGV[2] max persistence backlog (0 = unbounded)
-- ARGV[3] dedup TTL seconds
-- then per message i, FIELDS = 11 values from ARGV[4+11i]:
--   +0 sharded pub/sub channel  +1 message id  +2 room id  +3 author id
--   +4 author username  +5 cmid        +6 kind     +7 body
--   +8 accepted-at ms
--   +9 attachment: the file as a JSON object string, '' when none. Decoded
--      and embedded as the envelope's `file` object (not a string inside a
--      string), so every reader sees one plain JSON document. The caller
--      validates it (see fileRefProblem in broker/envelope.ts): cjson
--      re-prints numbers with 14 significant digits.
--   +10 floor: the highest seq the caller knows was assigned in this room (0
--      when it knows none). A counter below it went backwards (Redis lost
--      writes it had acknowledged): nothing is written, so no seq is
--      assigned twice.
--
-- Returns one entry per message, in order:
--   {1, seq}            accepted as new;
--   {0, "seq:id:ms"}    this cmid was already accepted (nothing written again);
--   {-1, "<error>"}     refused, nothing written for it:
--     "NOEPOCH ..."        the partition has no epoch (Redis lost its data, or a
--                          new deployment): the caller establishes one and retries;
--     "NOSEQ <epoch>"      the counter is missing or from another epoch: the
--                          caller seeds it (seed.lua) and retries;
--     "REGRESSED <epoch>"  the counter is below the floor, or below the room
--                          log's last entry: Redis lost writes it had
--                          acknowledged. The caller replaces the epoch
--                          (bump.lua), which makes the counter stale, and retries;
--     "BACKLOG ..."        the persistence stream is over its bound;
--     "BADFILE ..."        the attachment is not a JSON object;
--     any other text       a Redis error from the room log's XADD.

local FIELDS = 11
local maxlen, backlog, ttl = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local n = (#ARGV - 3) / FIELDS
local results = {}
-- room id -> the error that refused an earlier message of it in this batch
local refused = {}

local epoch = redis.call('GET', KEYS[1])
local queued = nil
if backlog > 0 then
  queued = redis.call('XLEN', KEYS[2])
end

local function accept(i)
  local a = 4 + FIELDS * i
  local counterKey, logKey, dedupKey = KEYS[3 + 3 * i], KEYS[4 + 3 * i], KEYS[5 + 3 * i]
  local room = ARGV[a + 2]
  if refused[room] then
    return nil, refused[room]
  end
  local previous = redis.call('GET', dedupKey)
  if previous then
    return {0, previous}
  end
  if not epoch then
    return nil, 'NOEPOCH the partition has no epoch'
  end
  local counter = redis.call('HMGET', counterKey, 'n', 'e')
  if not counter[1] or counter[2] ~= epoch then
    return nil, 'NOSEQ ' .. epoch
  end
  if tonumber(counter[1]) < tonumber(ARGV[a + 10]) then
    return nil, 'REGRESSED ' .. epoch
  end
  if queued and queued >= backlog then
    return nil, 'BACKLOG persistence queue is full'
  end
  -- Decoded before any write: malformed JSON refuses this message only.
  local file = nil
  if ARGV[a + 9] ~= '' then
    local ok, decoded = pcall(cjson.decode, ARGV[a + 9])
    if not ok or type(decoded) ~= 'table' then
      return nil, 'BADFILE the attachment is not a JSON object'
    end
    file = decoded
  end

  local seq = tonumber(counter[1]) + 1
  -- A nil `file` leaves the key out: text envelopes are unchanged.
  local envelope = cjson.encode({
    v = 1,
    id = ARGV[a + 1],
    room = room,
    seq = seq,
    ep = epoch,
    uid = ARGV[a + 3],
    un = ARGV[a + 4],
    cmid = ARGV[a + 5],
    kind = ARGV[a + 6],
    body = ARGV[a + 7],
    ts = tonumber(ARGV[a + 8]),
    file = file,
  })

  -- The first write. The log refuses an id at or below its last entry, which
  -- means the counter went backwards: refused, with nothing written.
  local logged = redis.pcall('XADD', logKey, 'MAXLEN', '~', maxlen, seq .. '-0', 'm', envelope)
  if type(logged) == 'table' and logged.err then
    if string.find(logged.err, 'equal or smaller', 1, true) then
      return nil, 'REGRESSED ' .. epoch
    end
    return nil, logged.err
  end
  redis.call('HSET', counterKey, 'n', seq)
  redis.call('XADD', KEYS[2], '*', 'm', envelope)
  if queued then
    queued = queued + 1
  end
  redis.call('SET', dedupKey, seq .. ':' .. ARGV[a + 1] .. ':' .. ARGV[a + 8], 'EX', ttl)
  -- SPUBLISH: the channel carries the partition's tag (one slot with the keys).
  redis.call('SPUBLISH', ARGV[a], envelope)
  return {1, seq}
end

for i = 0, n - 1 do
  local result, err = accept(i)
  if err then
    refused[ARGV[4 + FIELDS * i + 2]] = err
    result = {-1, err}
  end
  results[i + 1] = result
end
return results
