-- Joins a crawl: its first worker writes the crawl's layout and configuration; every
-- worker reads them back, to refuse a worker whose configuration differs.
--
-- ARGV: prefix, then n x (field, value).
-- Returns the meta hash as a flat list.
local meta = ARGV[1] .. 'meta'
if redis.call('EXISTS', meta) == 0 then
  for i = 2, #ARGV, 2 do
    redis.call('HSET', meta, ARGV[i], ARGV[i + 1])
  end
end
return redis.call('HGETALL', meta)
