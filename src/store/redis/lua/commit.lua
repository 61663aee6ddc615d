-- One commit of a worker, atomic: new URLs offered (seen-set insert, then queued if new),
-- outcomes ended, retries' records replaced, robots.txt records kept, the worker's outcome
-- log position noted. Refused whole (nothing applied) when the worker no longer holds
-- the lease, at the epoch it took it, of a slot whose URLs it ends: a late commit of a
-- worker that was paused or cut off cannot end what a new owner took over.
--
-- ARGV: prefix, worker, log position ('' for none), host page cap (-1 for none), the kind
-- byte of a host over its cap, then
--   n, n x (slot, 'WORKER|EPOCH')               the leases this commit relies on
--   n, n x (bucket, member, slot, host, entry)   URLs offered (an empty entry: only seen)
--   n, n x (slot, fingerprint)                   URLs ended
--   n, n x (slot, fingerprint, entry)            URLs waiting for a retry
--   n, n x (host, record)                        robots.txt records
-- Returns {1, {1 or 0 per URL offered: new or seen before}} or {0, {stale slots}}.
local p, worker, pos = ARGV[1], ARGV[2], ARGV[3]
local cap, over = tonumber(ARGV[4]), ARGV[5]
local i = 6
local n = tonumber(ARGV[i]); i = i + 1
local stale = {}
for _ = 1, n do
  if redis.call('GET', p .. 'lease:' .. ARGV[i]) ~= ARGV[i + 1] then
    stale[#stale + 1] = ARGV[i]
  end
  i = i + 2
end
if #stale > 0 then
  return {0, stale}
end
local fresh = {}
local queued = 0
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local b, m, s, h, e = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
  i = i + 5
  if redis.call('SADD', p .. 'seen:' .. b, m) == 1 then
    -- An empty entry is only marked seen.
    if e ~= '' then
      if cap >= 0 and string.byte(e, 25) == 0 then
        if redis.call('HINCRBY', p .. 'hostpages', h, 1) > cap then
          e = string.sub(e, 1, 24) .. over .. string.sub(e, 26)
        end
      end
      if redis.call('RPUSH', p .. 'q:' .. h, e) == 1 then
        redis.call('RPUSH', p .. 'hosts:' .. s, h)
      end
      queued = queued + 1
    end
    fresh[#fresh + 1] = 1
  else
    fresh[#fresh + 1] = 0
  end
end
local ended = 0
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  ended = ended + redis.call('HDEL', p .. 'fly:' .. ARGV[i], ARGV[i + 1])
  i = i + 2
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  local fly = p .. 'fly:' .. ARGV[i]
  if redis.call('HEXISTS', fly, ARGV[i + 1]) == 1 then
    redis.call('HSET', fly, ARGV[i + 1], ARGV[i + 2])
  end
  i = i + 3
end
n = tonumber(ARGV[i]); i = i + 1
for _ = 1, n do
  redis.call('HSET', p .. 'robots', ARGV[i], ARGV[i + 1])
  i = i + 2
end
if queued ~= ended then
  redis.call('HINCRBY', p .. 'count', 'pending', queued - ended)
end
if ended > 0 then
  redis.call('HINCRBY', p .. 'count', 'done', ended)
end
if pos ~= '' then
  redis.call('HSET', p .. 'wpos', worker, pos)
end
return {1, fresh}
