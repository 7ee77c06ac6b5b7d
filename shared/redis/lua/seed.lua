-- Give a room a counter valid in the partition's current epoch, when it has
-- none (a new room, a Redis that lost its data, or an epoch replaced after a
-- seq regression). Seqs must never repeat one that may have been acked, so
-- the counter starts at the largest of:
--   ARGV[2], the caller's bound from Postgres (highest persisted seq, the
--     ranges skipped by earlier reseeds, the caller's floor, and the margin
--     for a lost epoch; see SeqSeeder);
--   what Redis still holds of the room: a stale counter from an earlier
--     epoch, the last id the room log generated, a counter of the pre-epoch
--     format.
--
-- KEYS[1] room counter (hash n, e)   KEYS[2] room log stream
-- KEYS[3] the partition's epoch       KEYS[4] pre-epoch counter (string)
-- ARGV[1] the epoch the caller read   ARGV[2] lower bound from Postgres
-- ARGV[3] 1 when the room may have lost acked messages (its counter belonged to
--         an epoch that is gone): the old log is then dropped, so that it
--         never shows a replay across the skipped range as complete.
-- ARGV[4] 'peek': write nothing, answer what Redis still holds (see below).
--
-- Returns {0, value} when the counter is already valid (value = the counter),
-- {1, value} when this call seeded it, and in peek mode {2, held}: the
-- highest seq Redis still holds evidence of (stale counter, log, old counter).
-- Error "EPOCH" when the partition's epoch is no longer ARGV[1].

local epoch = redis.call('GET', KEYS[3])
if epoch ~= ARGV[1] then
  return redis.error_reply('EPOCH the partition epoch changed')
end

local counter = redis.call('HMGET', KEYS[1], 'n', 'e')
if counter[1] and counter[2] == epoch then
  return {0, tonumber(counter[1])}
end

local held = 0
if counter[1] then
  held = tonumber(counter[1])
end
local legacy = redis.call('GET', KEYS[4])
if legacy and tonumber(legacy) > held then
  held = tonumber(legacy)
end
-- The log's last generated id, not its last entry: a stream remembers the
-- highest id it ever took, even after that entry was deleted or trimmed.
if redis.call('EXISTS', KEYS[2]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[2])
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then
      local logged = tonumber(string.match(info[i + 1], '^(%d+)-'))
      if logged > held then
        held = logged
      end
    end
  end
end
if ARGV[4] == 'peek' then
  return {2, held}
end

local seed = tonumber(ARGV[2])
if held > seed then
  seed = held
end
if ARGV[3] == '1' then
  redis.call('DEL', KEYS[2])
end
redis.call('DEL', KEYS[4])
redis.call('HSET', KEYS[1], 'n', seed, 'e', epoch)
return {1, seed}
