-- Sockets of a user on a gateway are gone: one closed (ARGV[4] = 1), or all of
-- them because the gateway's lease expired (ARGV[4] = 'all'). Idempotent for
-- 'all': a second reaper finds nothing to remove and reports no change.
-- KEYS[1] user's conns hash  KEYS[2] gateway's users set  KEYS[3] online zset  KEYS[4] last-seen hash
-- ARGV[1] gateway id  ARGV[2] user id  ARGV[3] now (ms)  ARGV[4] 1 | 'all'
-- Returns 1 when this made the user offline (no socket left anywhere), else 0.

local here = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or '0')
if here == 0 then return 0 end
local left = 0
if ARGV[4] ~= 'all' then left = here - tonumber(ARGV[4]) end
if left > 0 then
  redis.call('HSET', KEYS[1], ARGV[1], left)
  return 0
end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', KEYS[2], ARGV[2])
for _, n in ipairs(redis.call('HVALS', KEYS[1])) do
  if tonumber(n) > 0 then return 0 end
end
redis.call('ZREM', KEYS[3], ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
return 1
