-- tx-per-component-per-phase.sql: bus transactions per component in each
-- boot phase. A phase runs from a marker to the next one; transactions
-- before the first marker count under "(before first marker)". A component
-- is counted as the initiator and as the target of a transaction.
-- Parameters: none
-- Run: clockwork trace query run.db "$(cat traces/tx-per-component-per-phase.sql)"
--      sqlite3 -header -tabs run.db < traces/tx-per-component-per-phase.sql
WITH tagged AS (
    -- the latest marker at or before each transaction (marker_time index)
    SELECT (SELECT m.id FROM marker m WHERE m.time <= t.time
            ORDER BY m.time DESC, m.id DESC LIMIT 1) AS phase_id,
           t.initiator, t.target
    FROM tx t
),
pairs AS (
    SELECT phase_id, initiator, target, count(*) AS n
    FROM tagged GROUP BY phase_id, initiator, target
),
roles AS (
    SELECT phase_id, initiator AS component, n AS as_initiator, 0 AS as_target FROM pairs
    UNION ALL
    SELECT phase_id, target, 0, n FROM pairs
)
SELECT coalesce(m.name, '(before first marker)') AS phase,
       coalesce(c.name, '(none)') AS component,
       sum(r.as_initiator) AS as_initiator,
       sum(r.as_target) AS as_target
FROM roles r
LEFT JOIN marker m ON m.id = r.phase_id
LEFT JOIN component c ON c.id = r.component
GROUP BY r.phase_id, r.component
ORDER BY coalesce(m.time, -1), r.phase_id, sum(r.as_initiator) + sum(r.as_target) DESC,
         component;
