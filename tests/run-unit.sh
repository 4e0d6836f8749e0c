#!/bin/sh
# Runs each cmocka test binary; prints one summary line: "unit: N passed, N failed".
pass=0; fail=0; failed=""
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
    if [ $rc -ne 0 ]; then
        [ -z "$f" ] && fail=$((fail + 1))
        failed="$failed $(basename "$t")"
        printf '%s\n' "$out" | grep -E 'FAILED|ERROR|error|Assert|Sanitizer' | head -20
    fi
    printf '%-28s %s\n' "$(basename "$t")" "$(printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED)  \]' | tr '\n' ' ')"
done
echo "unit: $pass passed, $fail failed${failed:+ (in$failed)}"
[ $fail -eq 0 ]
