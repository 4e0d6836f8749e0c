#!/bin/sh
# Runs every tests/e2e/*.sh with $CLOCKWORK set. Each script prints what it
# checked and exits 0 (pass), 77 (skipped: it prints why) or other (fail).
# Prints one summary line: "e2e: N passed, N failed, N skipped".
cd "$(dirname "$0")/.." || exit 2
pass=0; fail=0; skip=0; failed=""
for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    out=$(sh "$t" 2>&1); rc=$?
    case $rc in
        0) pass=$((pass + 1)); status=ok ;;
        77) skip=$((skip + 1)); status="skipped: $(printf '%s\n' "$out" | tail -1)" ;;
        *) fail=$((fail + 1)); status="FAILED (exit $rc)"; failed="$failed $name"
           printf '%s\n' "$out" | tail -25 | sed 's/^/    /' ;;
    esac
    printf '%-28s %s\n' "$name" "$status"
done
echo "e2e: $pass passed, $fail failed, $skip skipped${failed:+ (failed:$failed)}"
[ $fail -eq 0 ]
