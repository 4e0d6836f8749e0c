-- interrupt-rates.sql: per interrupt line, how many rising edges, when the
-- first and last came, and the mean rate and interval between them.
-- Times are guest picoseconds.
-- Parameters: none
-- Run: clockwork trace query run.db "$(cat traces/interrupt-rates.sql)"
--      sqlite3 -header -tabs run.db < traces/interrupt-rates.sql
SELECT s.name AS signal,
       coalesce(c.name, '') AS owner,
       count(*) AS rising_edges,
       min(i.time) AS first_ps,
       max(i.time) AS last_ps,
       CASE WHEN count(*) > 1 AND max(i.time) > min(i.time)
            THEN round((count(*) - 1) * 1e12 / (max(i.time) - min(i.time)), 3) END AS per_second,
       CASE WHEN count(*) > 1
            THEN (max(i.time) - min(i.time)) / (count(*) - 1) END AS mean_interval_ps
FROM irq i
JOIN signal s ON s.id = i.signal
LEFT JOIN component c ON c.id = s.owner
WHERE i.level = 1
GROUP BY i.signal
ORDER BY rising_edges DESC, s.name;
