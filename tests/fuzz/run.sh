#!/bin/sh
# Coverage-guided fuzzing of the YAML loader and machine builder (libFuzzer).
# Usage: tests/fuzz/run.sh [SECONDS]   (default 60)
# Builds its own objects with clang (fuzzer + ASan + UBSan) in $FUZZ_BUILD
# (default build-fuzz), seeds from tests/fuzz/corpus, machines/, configs/
# and tests/e2e/bad/, and keeps what it learns in tests/fuzz/corpus-run/.
# Crashes are written to $FUZZ_BUILD/artifacts/. Exit status: 0 if no
# problem was found, 1 otherwise.
cd "$(dirname "$0")/../.." || exit 2
SECS=${1:-60}
B=${FUZZ_BUILD:-build-fuzz}/fuzz-yaml
CC=${FUZZ_CC:-clang}
PKGS="yaml-0.1 sqlite3 libpng zlib sdl2"
CFLAGS="-std=c11 -D_GNU_SOURCE -I. -g -O1 -fno-omit-frame-pointer \
 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
 $(pkg-config --cflags $PKGS 2>/dev/null)"
LIBS="$(pkg-config --libs $PKGS 2>/dev/null) -lpthread -lm"
mkdir -p "$B/artifacts" tests/fuzz/corpus-run

# Compiles one source if it changed; prints the object on success.
compile() {
    obj="$B/obj/${1%.c}.o"
    mkdir -p "$(dirname "$obj")"
    if [ ! -f "$obj" ] || [ "$1" -nt "$obj" ] || [ -n "$(find kernel host models -name '*.h' -newer "$obj" 2>/dev/null | head -1)" ]; then
        $CC $CFLAGS -c "$1" -o "$obj" 2>"$obj.log" || { echo "fuzz: skipping $1 (does not compile)" >&2; rm -f "$obj"; return 1; }
    fi
    echo "$obj"
}

objs=""
for f in kernel/*.c $(ls host/*.c | grep -v '^host/main.c$'); do
    o=$(compile "$f") || { [ "${f#kernel/}" != "$f" ] && exit 2; continue; }
    objs="$objs $o"
done
# A model folder that does not compile (work in progress) is left out whole,
# since its files link together.
models=""
for d in $(find models -name '*.c' -exec dirname {} \; | sort -u); do
    dobjs=""; dsrcs=""; ok=1
    for f in "$d"/*.c; do
        o=$(compile "$f") || { ok=0; break; }
        dobjs="$dobjs $o"; dsrcs="$dsrcs $f"
    done
    [ $ok = 1 ] || { echo "fuzz: leaving out $d" >&2; continue; }
    objs="$objs $dobjs"; models="$models $dsrcs"
done
mkdir -p "$B/gen"
o=$(compile tests/fuzz/fuzz_yaml.c) || { cat "$B/obj/tests/fuzz/fuzz_yaml.o.log"; exit 2; }
# A model folder that does not link yet (a declared function not written)
# is left out too, with its registry entries.
link() {
    sh scripts/gen-registry.sh $models > "$B/gen/registry.c"
    reg=$(compile "$B/gen/registry.c") || exit 2
    $CC -fsanitize=fuzzer,address,undefined -o "$B/fuzz_yaml" "$o" $objs $reg $LIBS 2>"$B/link.log"
}
if ! link; then
    for d in $(grep -o "obj/models/[^:]*\.o" "$B/link.log" | sed 's#^obj/##' | xargs -n1 dirname | sort -u); do
        echo "fuzz: leaving out $d (does not link)" >&2
        objs=$(echo $objs | tr ' ' '\n' | grep -v "/obj/$d/" | tr '\n' ' ')
        models=$(echo $models | tr ' ' '\n' | grep -v "^$d/" | tr '\n' ' ')
    done
    link || { cat "$B/link.log"; exit 2; }
fi

# Dictionary: the fixed vocabulary plus every model's type and parameter names.
cp tests/fuzz/yaml.dict "$B/yaml.dict"
grep -h -o -E '^\s*\.name = "[^"]+"|^\s*\{ ?"[a-z][a-z0-9-]*", PARAM_' $models 2>/dev/null |
    sed -E 's/.*"([^"]+)".*/"\1"/' | sort -u >> "$B/yaml.dict"

seeds=""
for d in tests/fuzz/corpus machines configs tests/e2e/bad; do
    [ -d "$d" ] && seeds="$seeds $d"
done
echo "fuzz: running for ${SECS}s ($(echo $models | wc -w) models)"
ASAN_OPTIONS=allocator_may_return_null=1:detect_leaks=1 \
UBSAN_OPTIONS=print_stacktrace=1 \
"$B/fuzz_yaml" -max_total_time="$SECS" -timeout=20 -rss_limit_mb=0 -max_len=4096 \
    -dict="$B/yaml.dict" -artifact_prefix="$B/artifacts/" -print_final_stats=1 \
    tests/fuzz/corpus-run $seeds 2>"$B/fuzz.log"
rc=$?
grep -E '^(#[0-9]+.*DONE|stat::number_of_executed_units|stat::peak_rss_mb)|ERROR|SUMMARY' "$B/fuzz.log" | tail -5
if [ $rc -ne 0 ]; then
    echo "fuzz: FAILED (exit $rc); see $B/fuzz.log and $B/artifacts/"
    exit 1
fi
echo "fuzz: ok, no crash, leak or hang in ${SECS}s"
