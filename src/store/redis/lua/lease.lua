-- A worker's heartbeat: renews the leases it holds and takes free slots with work up to
-- its share. Slots with work are those with queued hosts or entries in flight; the share
-- is those slots over the live workers, rounded up, so the hosts with something to fetch
-- are spread evenly (a slot with nothing in it need not be owned at all). A slot taken
-- gets a new epoch, and the entries its last owner had taken and not ended go back to the
-- head of their hosts' queues, to be fetched again. Times are the server's (TIME), never
-- a worker's clock.
--
-- ARGV: prefix, worker, ttl (ms), slots in all, first slot to try, then
--   n x (slot, 'WORKER|EPOCH') held.
-- Returns {live workers, share, {stale slots}, {slot, epoch, ...} taken, {idle held slots}}.
local p, worker = ARGV[1], ARGV[2]
local ttl, slots, first = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local workers = p .. 'workers'
redis.call('ZADD', workers, now + ttl, worker)
redis.call('ZREMRANGEBYSCORE', workers, '-inf', now)
local live = redis.call('ZCARD', workers)
local function busy(s)
  return redis.call('EXISTS', p .. 'hosts:' .. s, p .. 'fly:' .. s) > 0
end
local with_work = 0
for s = 0, slots - 1 do
  if busy(s) then
    with_work = with_work + 1
  end
end
local share = math.max(1, math.ceil(with_work / live))
local stale, idle = {}, {}
local held = 0
local i = 6
while i <= #ARGV do
  local s = ARGV[i]
  local key = p .. 'lease:' .. s
  if redis.call('GET', key) == ARGV[i + 1] then
    redis.call('PEXPIRE', key, ttl)
    if busy(s) then
      held = held + 1
    else
      idle[#idle + 1] = s
    end
  else
    stale[#stale + 1] = s
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
  if redis.call('EXISTS', key) == 0 and busy(s) then
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
return {live, share, stale, taken, idle}
