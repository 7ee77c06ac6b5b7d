-- Initialise a room's sequence counter when it is missing (new room, or Redis
-- lost its data). The counter must never go below a seq already handed out,
-- so it starts at the larger of what Postgres holds and what the room log holds.
--
-- KEYS[1] room seq counter   KEYS[2] room log stream
-- ARGV[1] highest seq persisted in Postgres for the room (0 if none)
--
-- Returns the counter's value afterwards. An existing counter is left alone.

local current = redis.call('GET', KEYS[1])
if current then
  return tonumber(current)
end

local seed = tonumber(ARGV[1])
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
if #last > 0 then
  local logged = tonumber(string.match(last[1][1], '^(%d+)-'))
  if logged > seed then
    seed = logged
  end
end

redis.call('SET', KEYS[1], seed)
return seed
