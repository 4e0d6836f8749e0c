#!/bin/sh
# A whole study on the tiny-dram machine (configs/studies/tiny-dram.yaml,
# 8 points, a few seconds): `clockwork study run` in parallel, the phase
# times in its TSV against the hand-computed DRAM values of
# docs/models/dram.md, `study report` redoing the same report from the
# databases, `study run --point N` as one job of a cluster array, `study
# merge` combining the databases, and usage errors.
cd "$(dirname "$0")/../.." || exit 2
CW=${CLOCKWORK:-./clockwork}
[ -x "$CW" ] || { echo "no clockwork binary at $CW"; exit 77; }
"$CW" study --help >/dev/null 2>&1 || { echo "clockwork has no study command yet"; exit 77; }
command -v sqlite3 >/dev/null || { echo "no sqlite3 shell"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/study_small.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
study=configs/studies/tiny-dram.yaml

[ "$("$CW" study points $study | head -1)" = 8 ] || fail "study points: expected 8 points"

if ! "$CW" study run $study -j 4 --out "$tmp/out" >"$tmp/run.out" 2>"$tmp/run.err"; then
    fail "study run exited non-zero"; tail -5 "$tmp/run.err"
fi
for f in report.tsv report.txt report.svg study.yaml point-000.db point-007.db; do
    [ -f "$tmp/out/$f" ] || fail "no $f in the output folder"
done
[ "$(cat "$tmp/out"/point-*.status | sort -u)" = 0 ] || fail "a point did not exit 0"

# duration_ps of a point's phase in the TSV (columns: point, 3 params, phase, start, duration)
dur() { awk -F'\t' -v p="$1" -v ph="$2" '$1 == p && $5 == ph { print $7 }' "$tmp/out/report.tsv"; }
# docs/models/dram.md: open page 1 miss + 31 hits / 1 miss + 31 conflicts,
# closed page 32 misses in both
[ "$(dur 0 sequential)" = 1253750 ] || fail "open ddr3 sequential: $(dur 0 sequential) ps"
[ "$(dur 0 thrash)" = 2106250 ] || fail "open ddr3 thrash: $(dur 0 thrash) ps"
[ "$(dur 4 sequential)" = 1680000 ] || fail "closed ddr3 sequential: $(dur 4 sequential) ps"
[ "$(dur 4 thrash)" = 1680000 ] || fail "closed ddr3 thrash: $(dur 4 thrash) ps"
# 10 ns of controller latency on each of the 32 reads of a phase: +320 ns
[ "$(dur 1 sequential)" = $((1253750 + 320000)) ] || fail "controller latency: $(dur 1 sequential) ps"
[ "$(wc -l < "$tmp/out/report.tsv")" -eq 17 ] || fail "report.tsv: expected 16 rows and a header"
grep -q "row-conflicts" "$tmp/out/report.txt" || fail "report.txt lacks the requested counters"
[ "$(grep -c '<rect x=.*<title>' "$tmp/out/report.svg")" -eq 16 ] || fail "report.svg: expected 16 bars"

# the report again, from the databases alone
cp "$tmp/out/report.tsv" "$tmp/first.tsv"
"$CW" study report "$tmp/out" --quiet 2>/dev/null || fail "study report exited non-zero"
cmp -s "$tmp/first.tsv" "$tmp/out/report.tsv" || fail "study report changed the TSV"

# one point alone, as a cluster job would run it
"$CW" study run $study --point 5 --out "$tmp/one" >/dev/null 2>&1 || fail "study run --point 5"
[ -f "$tmp/one/point-005.db" ] && [ ! -f "$tmp/one/point-000.db" ] || fail "--point 5 ran other points"
[ ! -f "$tmp/one/report.tsv" ] || fail "--point wrote a report"

# all databases in one
"$CW" study merge "$tmp/out" "$tmp/all.db" || fail "study merge exited non-zero"
[ "$(sqlite3 "$tmp/all.db" "SELECT count(*) FROM run")" = 8 ] || fail "merge: expected 8 runs"
[ "$(sqlite3 "$tmp/all.db" "SELECT duration FROM phase WHERE point = 4 AND name = 'thrash'")" = 1680000 ] ||
    fail "merge: phase view of point 4"

# usage errors: status 2
"$CW" study run >/dev/null 2>&1; [ $? -eq 2 ] || fail "study run without a file: not status 2"
"$CW" study run $study --point 8 >/dev/null 2>&1; [ $? -eq 2 ] || fail "--point 8 of 8: not status 2"
printf 'study: x\nconfig: nope.yaml\nphases: [a]\n' > "$tmp/bad.yaml"
"$CW" study points "$tmp/bad.yaml" 2>"$tmp/bad.err"; [ $? -eq 2 ] || fail "bad study: not status 2"
grep -q "at least two markers" "$tmp/bad.err" || fail "bad study: $(cat "$tmp/bad.err")"

[ $fails -eq 0 ] && echo "study_small: 8-point tiny-dram study, report, --point, merge: ok"
[ $fails -eq 0 ]
