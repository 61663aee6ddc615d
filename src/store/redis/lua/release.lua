-- Gives slots up (a worker over its share, or leaving): each lease is deleted if the
-- worker still holds it at that epoch. With `leave` set, the worker's heartbeat goes too.
--
-- ARGV: prefix, worker, leave ('1' or '0'), then n x (slot, 'WORKER|EPOCH').
-- Returns the number of leases given up.
local p, worker = ARGV[1], ARGV[2]
local given = 0
local i = 4
while i <= #ARGV do
  local key = p .. 'lease:' .. ARGV[i]
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('DEL', key)
    given = given + 1
  end
  i = i + 2
end
if ARGV[3] == '1' then
  redis.call('ZREM', p .. 'workers', worker)
end
return given
