-- Takes queued entries of the slots a worker owns: its hosts in turn, at most `per` of
-- each, at most `max` in all. Each entry taken is kept in the slot's `fly` hash until it
-- ends (or until a new owner of the slot takes it back: lease.lua).
--
-- With a page limit, each first attempt taken is counted (`dispatched`), and one past the
-- limit is handed out marked to be recorded as skipped (`page_limit`) instead.
--
-- ARGV: prefix, max, per, page limit (-1 for none), the kind byte of a URL past it, then
--   n x (slot, 'WORKER|EPOCH').
-- Returns {{stale slots}, {entries}, {the slot of each entry}}.
local p, max, per = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local cap, past = tonumber(ARGV[4]), ARGV[5]
local out, stale, slots = {}, {}, {}
local i = 6
while i <= #ARGV and #out < max do
  local s = ARGV[i]
  if redis.call('GET', p .. 'lease:' .. s) ~= ARGV[i + 1] then
    stale[#stale + 1] = s
  else
    local hosts, fly = p .. 'hosts:' .. s, p .. 'fly:' .. s
    local nh = redis.call('LLEN', hosts)
    local k = 0
    while k < nh and #out < max do
      k = k + 1
      local h = redis.call('LMOVE', hosts, hosts, 'LEFT', 'RIGHT')
      local q = p .. 'q:' .. h
      local es = redis.call('LPOP', q, math.min(per, max - #out))
      if es then
        for _, e in ipairs(es) do
          if cap >= 0 and string.byte(e, 25) == 0 then
            if redis.call('HINCRBY', p .. 'count', 'dispatched', 1) > cap then
              e = string.sub(e, 1, 24) .. past .. string.sub(e, 26)
            end
          end
          redis.call('HSET', fly, string.sub(e, 1, 8), e)
          out[#out + 1] = e
          slots[#slots + 1] = s
        end
      end
      if redis.call('LLEN', q) == 0 then
        redis.call('LREM', hosts, -1, h)
      end
    end
  end
  i = i + 2
end
return {stale, out, slots}
