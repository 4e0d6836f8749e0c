#!/bin/sh
# `clockwork check` on malformed machine and config files: each file under
# tests/e2e/bad/ opens with "# expect: [FILE:]LINE:COL: MESSAGE" and must be
# refused with exit status 2 and exactly that one line on stderr (FILE, when
# given, is where the error is, relative to tests/e2e/bad/). Good files must
# print "FILE: ok" and exit 0.
cd "$(dirname "$0")/../.." || exit 2
CW=${CLOCKWORK:-./clockwork}
[ -x "$CW" ] || { echo "no clockwork binary at $CW"; exit 77; }
good=tests/e2e/bad/parts/pics.yaml
out=$("$CW" check "$good" 2>&1)
case $out in
    *"unknown command"*|*"usage"*|*"Usage"*) echo "clockwork has no check command yet"; exit 77 ;;
esac
fails=0; count=0
if [ "$out" != "$good: ok" ]; then
    echo "FAIL: $good: expected '$good: ok', got: $out"; fails=$((fails + 1))
fi
cfg=tests/e2e/bad/parts/good-config.yaml
out=$("$CW" check "$cfg" 2>&1); rc=$?
if [ $rc -ne 0 ] || [ "$out" != "$cfg: ok" ]; then
    echo "FAIL: $cfg: expected '$cfg: ok' and exit 0, got exit $rc: $out"; fails=$((fails + 1))
fi
for f in tests/e2e/bad/*.yaml; do
    count=$((count + 1))
    expect=$(sed -n '1s/^# expect: //p' "$f")
    [ -n "$expect" ] || { echo "FAIL: $f has no '# expect:' line"; fails=$((fails + 1)); continue; }
    case $expect in
        [0-9]*) want="$f:$expect" ;;
        *) want="tests/e2e/bad/$expect" ;;
    esac
    err=$("$CW" check "$f" 2>&1 >/dev/null); rc=$?
    lines=$(printf '%s\n' "$err" | wc -l)
    if [ $rc -ne 2 ]; then
        echo "FAIL: $f: exit status $rc, expected 2 ($err)"; fails=$((fails + 1))
    elif [ "$lines" -ne 1 ]; then
        echo "FAIL: $f: $lines lines on stderr, expected one:"; printf '%s\n' "$err"
        fails=$((fails + 1))
    else
        case $err in
            "$want"*) ;;
            *) echo "FAIL: $f"; echo "  expected: $want"; echo "  got:      $err"
               fails=$((fails + 1)) ;;
        esac
    fi
done
echo "yaml_errors: $count malformed files checked, $fails failures"
[ $fails -eq 0 ]
