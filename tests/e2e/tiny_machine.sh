#!/bin/sh
# The tiny machine end to end: YAML -> kernel -> real chips -> serial output
# -> trace database -> canned queries; determinism of the trace; a run
# killed with SIGKILL leaves a valid database; exit statuses.
cd "$(dirname "$0")/../.." || exit 2
CW=${CLOCKWORK:-./clockwork}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

out=$("$CW" run configs/tiny.yaml --quiet --trace "$T/a.db" 2>"$T/err"); rc=$?
[ $rc -eq 0 ] || { cat "$T/err"; fail "tiny run exited $rc"; }
[ "$out" = "Hello from clockwork!" ] || fail "serial output was '$out'"
grep -q "guest powered off" "$T/err" || fail "summary does not say the guest powered off"
echo "tiny: serial output and power-off ok"

# Canned queries answer with rows.
n=$("$CW" trace query "$T/a.db" "$(cat traces/busiest-io-ports.sql)" | grep -c '^0x03f8')
[ "$n" -ge 1 ] || fail "busiest-io-ports does not list the UART"
"$CW" trace query "$T/a.db" "$(cat traces/tx-per-component-per-phase.sql)" | grep -q "uart0" ||
    fail "tx-per-component-per-phase has no uart0 row"
"$CW" trace query "$T/a.db" "$(cat traces/interrupt-rates.sql)" | grep -q "pit0.out0" ||
    fail "interrupt-rates has no pit0.out0 row"
"$CW" trace query "$T/a.db" "$(cat traces/time-between-markers.sql)" -p from=ticks -p to=done \
    | grep -q "ticks" || fail "time-between-markers ticks..done gave nothing"
echo "tiny: canned queries ok"

# Two runs give identical trace contents.
"$CW" run configs/tiny.yaml --quiet --trace "$T/b.db" >/dev/null 2>&1 || fail "second run failed"
for table in tx irq marker stats component; do
    a=$("$CW" trace query "$T/a.db" "SELECT * FROM $table" | md5sum)
    b=$("$CW" trace query "$T/b.db" "SELECT * FROM $table" | md5sum)
    [ "$a" = "$b" ] || fail "table $table differs between two identical runs"
done
rows=$("$CW" trace query "$T/a.db" "SELECT count(*) FROM tx" | tail -1)
[ "$rows" -gt 500 ] || fail "only $rows transactions recorded"
echo "tiny: two runs, identical traces ($rows transactions)"

# Killed with SIGKILL mid-run: the database is valid and holds rows.
"$CW" run --machine tests/e2e/data/tiny-forever.yaml --timeout 100000s \
    --quiet --trace "$T/k.db" >/dev/null 2>&1 &
pid=$!
sleep 2
kill -9 $pid
wait $pid 2>/dev/null
ok=$(sqlite3 "$T/k.db" 'PRAGMA integrity_check' 2>&1)
[ "$ok" = "ok" ] || fail "integrity_check after SIGKILL: $ok"
krows=$(sqlite3 "$T/k.db" 'SELECT count(*) FROM tx')
[ "$krows" -gt 0 ] || fail "no rows survived SIGKILL"
echo "tiny: SIGKILL left a valid database with $krows transactions"

# Ctrl-C (SIGINT) stops cleanly: summary printed, exit 130, the trace
# database finished (the run table records the stop).
"$CW" run --machine tests/e2e/data/tiny-forever.yaml --timeout 100000s --quiet \
    --trace "$T/i.db" >/dev/null 2>"$T/ierr" &
pid=$!
sleep 2
kill -INT $pid
wait $pid; rc=$?
[ $rc -eq 130 ] || fail "SIGINT exit status $rc, expected 130"
grep -q "stopped:       interrupted" "$T/ierr" || fail "no summary after SIGINT"
ok=$(sqlite3 "$T/i.db" 'PRAGMA integrity_check' 2>&1)
[ "$ok" = "ok" ] || fail "integrity_check after SIGINT: $ok"
"$CW" trace summary "$T/i.db" | grep -q "interrupted" || fail "run table does not record the interrupt"
echo "tiny: Ctrl-C stops cleanly and keeps the trace"

# Trace filters from the command line.
"$CW" run configs/tiny.yaml --quiet --trace "$T/f.db" --trace-kinds io-write \
    --trace-ranges 0x3f8-0x3ff --trace-components uart0 >/dev/null 2>&1 || fail "filtered run"
got=$("$CW" trace query "$T/f.db" "SELECT count(*), min(addr), max(addr) FROM tx WHERE kind = 4" | tail -1)
all=$("$CW" trace query "$T/f.db" "SELECT count(*) FROM tx" | tail -1)
[ "$got" = "$(printf '26\t1016\t1019')" ] && [ "$all" = 26 ] || fail "filtered trace: '$got' of $all rows"
echo "tiny: command-line trace filters ok"

# Exit statuses: condition not met -> 1; bad override -> 2 with location.
"$CW" run configs/tiny.yaml --quiet --until serial:nothing-like-this --timeout 5ms >/dev/null 2>&1
rc=$?; [ $rc -eq 1 ] || fail "unmet condition exited $rc, expected 1"
msg=$("$CW" run configs/tiny.yaml --set components.ram0.size=lots 2>&1); rc=$?
[ $rc -eq 2 ] || fail "bad --set exited $rc, expected 2"
echo "$msg" | grep -q "size" || fail "bad --set message: $msg"
"$CW" run configs/tiny.yaml --quiet --until marker:shadow >/dev/null 2>"$T/m"; rc=$?
[ $rc -eq 0 ] || fail "until marker:shadow exited $rc"
grep -q "condition met" "$T/m" || fail "marker condition not reported"
echo "tiny: exit statuses ok"
