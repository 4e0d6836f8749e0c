#!/bin/sh
# Runs every tests/e2e/*.sh with $CLOCKWORK set. Each script prints what it
# checked and exits 0 (pass), 77 (skipped: it prints why) or other (fail).
# Prints one line per test (its name first, so a long test shows what is
# running; then the status and the host seconds it took, and the lines in
# which a boot test says what it reached) and one summary line: "e2e: N
# passed, N failed, N skipped".
#
# The Linux boot tests (linux_*.sh) boot Debian's installer and take most of
# the time (docs/linux.md); LINUX_BOOT=0 skips them.
cd "$(dirname "$0")/.." || exit 2
pass=0; fail=0; skip=0; failed=""
for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    name=$(basename "$t" .sh)
    printf '%-28s ' "$name"
    start=$(date +%s)
    out=$(sh "$t" 2>&1); rc=$?
    took="($(($(date +%s) - start)) s)"
    case $rc in
        0) pass=$((pass + 1)); status="ok $took" ;;
        77) skip=$((skip + 1)); status="skipped: $(printf '%s\n' "$out" | tail -1 | sed 's/^skipped: //')" ;;
        *) fail=$((fail + 1)); status="FAILED (exit $rc) $took"; failed="$failed $name" ;;
    esac
    printf '%s\n' "$status"
    [ $rc -eq 77 ] || printf '%s\n' "$out" | grep -E "^$name: (reached|run): " | sed 's/^/    /'
    [ $rc -eq 0 ] || [ $rc -eq 77 ] || printf '%s\n' "$out" | tail -25 | sed 's/^/    /'
done
echo "e2e: $pass passed, $fail failed, $skip skipped${failed:+ (failed:$failed)}"
[ $fail -eq 0 ]
