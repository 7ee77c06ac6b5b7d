-- Extend the lease of a held tus upload lock, only if the caller still owns it:
-- refreshing a key that another process acquired after our lease lapsed would
-- extend that process's lock on our behalf and hide that we lost ownership.
--
-- KEYS[1] lock key   ARGV[1] owner token   ARGV[2] lease (ms)
-- Returns 1 when the lease was extended, 0 when the lock is no longer ours.

if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
