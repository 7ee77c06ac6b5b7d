-- A socket of a user opened on a gateway.
-- KEYS[1] user's conns hash  KEYS[2] gateway's users set  KEYS[3] online zset  KEYS[4] last-seen hash
-- KEYS[5] status hash
-- ARGV[1] gateway id  ARGV[2] user id  ARGV[3] now (ms)
-- Returns {1, status JSON or nil} when the user was offline before this socket
-- (the first socket anywhere): what the online announcement needs, read in
-- the same call (a connect storm's announcements then cost no extra read).
-- Returns {0} otherwise.

local before = 0
for _, n in ipairs(redis.call('HVALS', KEYS[1])) do before = before + tonumber(n) end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('SADD', KEYS[2], ARGV[2])
if before > 0 then return {0} end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
redis.call('HSET', KEYS[4], ARGV[2], ARGV[3])
return {1, redis.call('HGET', KEYS[5], ARGV[2])}
