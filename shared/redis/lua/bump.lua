-- Replace a partition's epoch, but only if it is still the one the caller saw
-- a seq regression under: several processes that see the same regression
-- replace it once. Every room counter of the partition is then stale and is
-- seeded again past anything that may have been acked (seed.lua).
--
-- KEYS[1] the partition's epoch   ARGV[1] the epoch seen   ARGV[2] the new epoch
-- Returns 1 when replaced, 0 when the epoch was already another one.

if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('SET', KEYS[1], ARGV[2])
return 1
