-- A worker's heartbeat: renews the leases it holds, and takes free slots up to its share
-- (the slots over the live workers, rounded up). A slot taken gets a new epoch, and the
-- entries its last owner had taken and not ended go back to the head of their hosts'
-- queues, to be fetched again. Times are the server's (TIME), never a worker's clock.
--
-- ARGV: prefix, worker, ttl (ms), slots in all, first slot to try, then
--   n x (slot, 'WORKER|EPOCH') held.
-- Returns {live workers, share, {stale slots}, {slot, epoch, slot, epoch, ...} taken}.
local p, worker = ARGV[1], ARGV[2]
local ttl, slots, first = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local workers = p .. 'workers'
redis.call('ZADD', workers, now + ttl, worker)
redis.call('ZREMRANGEBYSCORE', workers, '-inf', now)
local live = redis.call('ZCARD', workers)
local share = math.ceil(slots / live)
local stale = {}
local held = 0
local i = 6
while i <= #ARGV do
  local key = p .. 'lease:' .. ARGV[i]
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ttl)
    held = held + 1
  else
    stale[#stale + 1] = ARGV[i]
  end
  i = i + 2
end
local taken = {}
local s = first
for _ = 1, slots do
  if held >= share then
    break
  end
  local key = p .. 'lease:' .. s
  if redis.call('EXISTS', key) == 0 then
    local epoch = redis.call('INCR', p .. 'epoch:' .. s)
    redis.call('SET', key, worker .. '|' .. epoch, 'PX', ttl)
    local fly = p .. 'fly:' .. s
    local back = redis.call('HVALS', fly)
    for j = #back, 1, -1 do
      local e = back[j]
      local h = string.sub(e, 9, 24)
      if redis.call('LPUSH', p .. 'q:' .. h, e) == 1 then
        redis.call('RPUSH', p .. 'hosts:' .. s, h)
      end
    end
    redis.call('DEL', fly)
    taken[#taken + 1] = s
    taken[#taken + 1] = epoch
    held = held + 1
  end
  s = (s + 1) % slots
end
return {live, share, stale, taken}
