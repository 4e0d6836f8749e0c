-- busiest-io-ports.sql: the I/O ports accessed most often, with the device
-- that answered, reads and writes, and the mean latency.
-- Parameters: :limit  rows to show (default 20)
-- Run: clockwork trace query run.db "$(cat traces/busiest-io-ports.sql)" -p limit=10
--      sqlite3 -header -tabs run.db < traces/busiest-io-ports.sql
SELECT printf('0x%04x', t.addr) AS port,
       coalesce(c.name, '(unmapped)') AS device,
       sum(k.name = 'io-read') AS reads,
       sum(k.name = 'io-write') AS writes,
       count(*) AS total,
       round(avg(t.latency) / 1000.0, 3) AS mean_latency_ns
FROM tx t
JOIN kind k ON k.id = t.kind
LEFT JOIN component c ON c.id = t.target
WHERE k.name IN ('io-read', 'io-write')
GROUP BY t.addr, t.target
ORDER BY total DESC, t.addr
LIMIT coalesce(:limit, 20);
