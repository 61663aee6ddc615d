-- Gives slots up (a worker over its share, or with nothing left in a slot, or leaving):
-- each lease is deleted if the worker still holds it at that epoch, and, unless the worker
-- is leaving, only if nothing of the slot is in flight (a take may have raced the
-- worker's decision: such a slot stays its). With `leave` set, the heartbeat goes too.
--
-- ARGV: prefix, worker, leave ('1' or '0'), then n x (slot, 'WORKER|EPOCH').
-- Returns the slots kept (leases still held because something is in flight).
local p, worker, leave = ARGV[1], ARGV[2], ARGV[3] == '1'
local kept = {}
local i = 4
while i <= #ARGV do
  local key = p .. 'lease:' .. ARGV[i]
  if redis.call('GET', key) == ARGV[i + 1] then
    if not leave and redis.call('HLEN', p .. 'fly:' .. ARGV[i]) > 0 then
      kept[#kept + 1] = ARGV[i]
    else
      redis.call('DEL', key)
    end
  end
  i = i + 2
end
if leave then
  redis.call('ZREM', p .. 'workers', worker)
end
return kept
