-- Release a tus upload lock, but only if the caller still owns it: after the
-- owner's lease expired another process may hold the key under its own token,
-- and a plain DEL by the old owner would silently break that holder's exclusivity.
-- On release, tell waiters on the upload's channel so they retry at once
-- instead of sleeping out their backoff.
--
-- KEYS[1] lock key   ARGV[1] owner token   ARGV[2] the upload's lock channel
-- Returns 1 when the lock was released, 0 when it was not ours (expired or taken over).

if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[2], 'unlocked')
return 1
