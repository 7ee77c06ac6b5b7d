-- Acknowledge persisted entries and delete them from the persistence stream in
-- one step, so the stream holds only messages not yet in Postgres and its
-- length is the persistence backlog. Only valid with a single consumer group.
--
-- KEYS[1] persistence stream   ARGV[1] consumer group   ARGV[2..] entry ids
-- Returns the number of entries acknowledged.

local ids = {}
for i = 2, #ARGV do
  ids[#ids + 1] = ARGV[i]
end
if #ids == 0 then
  return 0
end
local acked = redis.call('XACK', KEYS[1], ARGV[1], unpack(ids))
redis.call('XDEL', KEYS[1], unpack(ids))
return acked
