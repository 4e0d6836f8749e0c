#!/bin/sh
# The trace database of a real run: `clockwork run configs/tiny.yaml --trace`
# twice, then through `clockwork trace`: the database is intact, its
# transaction counts agree with the traffic generator's own statistics and
# with the machine's program (22 bytes to the UART, markers in order), two
# runs give identical contents outside the run table, the canned queries
# run, and bad input gets exit status 1 (SQL) or 2 (usage).
cd "$(dirname "$0")/../.." || exit 2
CW=${CLOCKWORK:-./clockwork}
[ -x "$CW" ] || { echo "no clockwork binary at $CW"; exit 77; }
[ -f configs/tiny.yaml ] || { echo "no configs/tiny.yaml"; exit 77; }
"$CW" trace --help >/dev/null 2>&1 || { echo "clockwork has no trace command yet"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/trace_tiny.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
q() { "$CW" trace query "$@"; }
# One value: the second line of a one-column result (name multi-line
# expressions with AS: the header is the expression's text).
q1() { q "$@" | sed -n 2p; }

for run in a b; do
    if ! "$CW" run configs/tiny.yaml --trace "$tmp/$run.db" >"$tmp/$run.out" 2>&1; then
        fail "run $run exited non-zero:"; tail -5 "$tmp/$run.out"
    fi
done
[ -f "$tmp/a.db" ] || { echo "FAIL: no database written"; exit 1; }

[ "$(q1 "$tmp/a.db" "PRAGMA integrity_check")" = ok ] || fail "integrity_check is not ok"
[ ! -e "$tmp/a.db-wal" ] || fail "a closed database still has a -wal file"
[ "$(q1 "$tmp/a.db" "PRAGMA user_version")" = 2 ] || fail "schema version is not 2"

# Every transaction the generator issued is in the table, none twice.
gen_stats=$(q1 "$tmp/a.db" "SELECT sum(s.value) FROM stats s JOIN component c ON c.id = s.component
                            WHERE c.name = 'gen0' AND s.name IN ('reads', 'writes')")
gen_rows=$(q1 "$tmp/a.db" "SELECT count(*) FROM tx JOIN component c ON c.id = tx.initiator
                           WHERE c.name = 'gen0'")
[ -n "$gen_rows" ] && [ "$gen_rows" -gt 0 ] && [ "$gen_rows" = "$gen_stats" ] ||
    fail "gen0 rows ($gen_rows) differ from its reads+writes statistics ($gen_stats)"

# The program copies 22 bytes of ROM to the UART's data port, after
# programming the UART through the same port, and 256 bytes to RAM.
uart=$(q1 "$tmp/a.db" "SELECT count(*) FROM tx JOIN kind k ON k.id = tx.kind
                       WHERE k.name = 'io-write' AND addr = 0x3f8")
[ -n "$uart" ] && [ "$uart" -ge 22 ] || fail "expected at least 22 writes to port 0x3f8, found $uart"
rom=$(q1 "$tmp/a.db" "SELECT count(*) FROM tx JOIN component c ON c.id = tx.target
                      WHERE c.name = 'rom0' AND tx.time BETWEEN 0 AND (SELECT end_time FROM run)")
[ -n "$rom" ] && [ "$rom" -ge 278 ] || fail "expected at least 278 ROM reads (22 + 256), found $rom"

markers=$(q "$tmp/a.db" "SELECT group_concat(name, ' ') FROM (SELECT name FROM marker ORDER BY time, id)" | sed -n 2p)
case $markers in
    *"boot hello shadow ticks"*) ;;
    *) fail "markers out of order or missing: $markers" ;;
esac
# The program waits for ten timer interrupts.
edges=$(q1 "$tmp/a.db" "SELECT max(n) FROM (SELECT count(*) AS n FROM irq WHERE level = 1
                                           GROUP BY signal)")
[ -n "$edges" ] && [ "$edges" -ge 10 ] || fail "expected a line with at least 10 rising edges, found $edges"
[ "$(q1 "$tmp/a.db" "SELECT stop_reason IS NOT NULL AND end_time > 0 FROM run")" = 1 ] ||
    fail "the run row has no end"
cmdline=$(q1 "$tmp/a.db" "SELECT command_line FROM run")
case $cmdline in *"configs/tiny.yaml"*) ;; *) fail "command line not recorded: $cmdline" ;; esac

# Capture filters from a config: only what they select, all of it.
cat >"$tmp/filtered.yaml" <<EOF
machine: $PWD/machines/tiny.yaml
run: {timeout: 1s, until: [poweroff]}
trace:
  file: $tmp/f.db
  components: [uart0]
  kinds: [io-write]
  ranges: ["0x3f8-0x3f8"]
  signals: false
EOF
if "$CW" run "$tmp/filtered.yaml" >"$tmp/f.out" 2>&1; then
    got=$(q1 "$tmp/f.db" "SELECT count(*) FROM tx")
    bad=$(q1 "$tmp/f.db" "SELECT count(*) FROM tx JOIN kind k ON k.id = tx.kind
                          JOIN component c ON c.id = tx.target
                          WHERE k.name <> 'io-write' OR addr <> 0x3f8 OR c.name <> 'uart0'")
    [ "$got" = "$uart" ] && [ "$bad" = 0 ] ||
        fail "filtered trace: $got rows ($bad outside the filter), expected $uart"
    [ "$(q1 "$tmp/f.db" "SELECT count(*) FROM irq")" = 0 ] || fail "signals: false still recorded edges"
else
    fail "run with a filtered trace failed:"; tail -5 "$tmp/f.out"
fi
cat >"$tmp/window.yaml" <<EOF
machine: $PWD/machines/tiny.yaml
run: {timeout: 1s, until: [poweroff]}
trace: {file: $tmp/w.db, window: {from: 1us, to: 2us}}
EOF
if "$CW" run "$tmp/window.yaml" >"$tmp/w.out" 2>&1; then
    got=$(q1 "$tmp/w.db" "SELECT count(*) || ' ' || coalesce(min(time), -1) || ' ' ||
                          coalesce(max(time), -1) AS v FROM tx")
    want=$(q1 "$tmp/a.db" "SELECT count(*) || ' ' || coalesce(min(time), -1) || ' ' ||
                           coalesce(max(time), -1) AS v FROM tx WHERE time BETWEEN 1000000 AND 2000000")
    [ "$got" = "$want" ] || fail "window 1us-2us: got '$got' (rows min max), expected '$want'"
else
    fail "run with a trace window failed:"; tail -5 "$tmp/w.out"
fi

# Determinism: everything but the run table is identical.
for t in meta component space kind signal route tx_block tx_data irq marker stats; do
    q "$tmp/a.db" "SELECT * FROM $t ORDER BY 1, 2, 3" >"$tmp/a.$t" 2>&1
    q "$tmp/b.db" "SELECT * FROM $t ORDER BY 1, 2, 3" >"$tmp/b.$t" 2>&1
    cmp -s "$tmp/a.$t" "$tmp/b.$t" || fail "table $t differs between two runs of the same config"
done

# Canned queries run and print a header.
for f in traces/*.sql; do
    out=$(q "$tmp/a.db" "$(cat "$f")" 2>&1) || { fail "$f: $out"; continue; }
    [ -n "$out" ] || fail "$f printed nothing"
done
top=$(q "$tmp/a.db" "SELECT printf('0x%04x', addr) || char(9) || count(*) FROM tx
                    JOIN kind k ON k.id = tx.kind WHERE k.name IN ('io-read', 'io-write')
                    GROUP BY addr ORDER BY count(*) DESC, addr LIMIT 1" | sed -n 2p)
ports=$(q "$tmp/a.db" "$(cat traces/busiest-io-ports.sql)" -p limit=1 | sed -n 2p | cut -f1,5)
[ -n "$top" ] && [ "$ports" = "$top" ] || fail "busiest-io-ports.sql says '$ports', a count says '$top'"
between=$(q "$tmp/a.db" "$(cat traces/time-between-markers.sql)" -p from=hello -p to=shadow |
          sed -n 2p | cut -f1,2)
[ "$between" = "$(printf 'hello\tshadow')" ] || fail "time-between-markers: $between"

summary=$("$CW" trace summary "$tmp/a.db" 2>&1) || fail "summary exited non-zero: $summary"
case $summary in *"busiest I/O ports"*"0x03f8"*) ;; *) fail "summary lacks the I/O ports" ;; esac

# Errors: SQL errors exit 1, usage errors 2, a missing file 1 and no file created.
q "$tmp/a.db" "SELEC 1" >/dev/null 2>&1; [ $? -eq 1 ] || fail "bad SQL: exit status not 1"
q "$tmp/a.db" >/dev/null 2>&1; [ $? -eq 2 ] || fail "missing SQL: exit status not 2"
"$CW" trace frobnicate >/dev/null 2>&1; [ $? -eq 2 ] || fail "unknown subcommand: exit status not 2"
q "$tmp/none.db" "SELECT 1" >/dev/null 2>&1; [ $? -eq 1 ] || fail "missing database: exit status not 1"
[ ! -e "$tmp/none.db" ] || fail "querying a missing database created it"

if [ $fails -ne 0 ]; then
    echo "$fails check(s) failed"
    exit 1
fi
echo "trace of configs/tiny.yaml: $gen_rows transactions, $edges timer edges; deterministic; canned queries ok"
