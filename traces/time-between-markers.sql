-- time-between-markers.sql: guest time, instructions and bus transactions
-- between two markers (the first occurrence of each name).
-- Parameters: :from  marker name (default: the first marker of the run)
--             :to    marker name (default: the last marker of the run)
-- Run: clockwork trace query run.db "$(cat traces/time-between-markers.sql)" \
--          -p from=bios-start -p to=kernel-entry
--      sqlite3 -header -tabs run.db \
--          -cmd ".parameter set :from 'bios-start'" \
--          -cmd ".parameter set :to 'kernel-entry'" < traces/time-between-markers.sql
WITH a AS (
    SELECT name, time, insns FROM marker
    WHERE name = coalesce(:from, (SELECT name FROM marker ORDER BY time, id LIMIT 1))
    ORDER BY time, id LIMIT 1
),
b AS (
    SELECT name, time, insns FROM marker
    WHERE name = coalesce(:to, (SELECT name FROM marker ORDER BY time DESC, id DESC LIMIT 1))
    ORDER BY time, id LIMIT 1
)
SELECT a.name AS from_marker,
       b.name AS to_marker,
       a.time AS from_ps,
       b.time AS to_ps,
       b.time - a.time AS duration_ps,
       printf('%.6f', (b.time - a.time) / 1e9) AS duration_ms,
       b.insns - a.insns AS insns,
       (SELECT count(*) FROM tx WHERE tx.time >= a.time AND tx.time < b.time) AS transactions
FROM a, b;
