#!/usr/bin/env bash
# scripts/fuzz.sh - build every tests/fuzz/fuzz_*.c with clang's libFuzzer (+ASan/UBSan)
# and run it on its corpus.
#   scripts/fuzz.sh smoke   about a minute in all (CI): split evenly across targets
#   scripts/fuzz.sh long    10 minutes per target
# New interesting inputs found are added to tests/fuzz/corpus/<target>/ (libFuzzer's
# merge), so they can be committed; crashes are left as crash-* files in build/fuzz/.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-smoke}
out=build/fuzz
mkdir -p "$out"
targets=(tests/fuzz/fuzz_*.c)
n=${#targets[@]}
case $mode in
  smoke) per=$(( 60 / n )); [ "$per" -ge 3 ] || per=3 ;;
  long) per=600 ;;
  *) echo "usage: $0 smoke|long" >&2; exit 2 ;;
esac
srcs=$(find src -name '*.c' ! -name main.c | sort)
flags="-std=c11 -D_GNU_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc -Iinclude $(pkg-config --cflags libuv libzstd liblz4 zlib rdkafka sqlite3 jansson libmicrohttpd libpcre2-8 libcurl)"
libs="$(pkg-config --libs libuv libzstd liblz4 zlib rdkafka sqlite3 jansson libmicrohttpd libpcre2-8 libcurl) -lsnappy -lpthread -lm"
# Compile the library once, without the fuzzer's main, then link each target.
objdir=$out/obj
mkdir -p "$objdir"
objs=()
for s in $srcs; do
  o=$objdir/$(echo "$s" | tr / _).o
  if [ ! -f "$o" ] || [ "$s" -nt "$o" ]; then
    clang ${flags/-fsanitize=fuzzer,/-fsanitize=fuzzer-no-link,} -c "$s" -o "$o"
  fi
  objs+=("$o")
done
fail=0
for t in "${targets[@]}"; do
  name=$(basename "$t" .c)
  corpus=tests/fuzz/corpus/$name
  mkdir -p "$corpus"
  clang $flags "$t" "${objs[@]}" $libs -o "$out/$name"
  echo "fuzz: $name for ${per}s" >&2
  if ! (cd "$out" && ASAN_OPTIONS=detect_leaks=1 ./"$name" -max_total_time="$per" \
        -max_len=65536 -rss_limit_mb=2048 -print_final_stats=0 ../../"$corpus" >"$name.log" 2>&1); then
    echo "fuzz: $name FAILED (see $out/$name.log)" >&2
    tail -40 "$out/$name.log" >&2
    fail=1
  fi
done
exit $fail
