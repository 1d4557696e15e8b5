#!/usr/bin/env bash
# scripts/deps.sh - install every Debian package (and npm module) that building,
# running, testing or benchmarking Runnel needs. Idempotent: installs only what is
# missing, so `make run` / `make test` can call it every time at little cost.
#
#   scripts/deps.sh build     libraries and compilers for `make`
#   scripts/deps.sh test      build + test peers (kcat, python clients, kafkajs, clang)
#   scripts/deps.sh bench     test + peers for `make bench-compare` (nats, redis)
set -euo pipefail
what=${1:-build}
here=$(cd "$(dirname "$0")/.." && pwd)

build_pkgs="gcc make pkg-config libuv1-dev libssl-dev libsqlite3-dev librdkafka-dev
  libjansson-dev libpcre2-dev libyaml-dev libmicrohttpd-dev libzstd-dev liblz4-dev
  libsnappy-dev zlib1g-dev libcurl4-openssl-dev"
test_pkgs="libcriterion-dev kcat python3-confluent-kafka python3-kafka python3-snappy python3-lz4
  python3-zstandard python3-requests clang
  libclang-rt-14-dev json-schema-test-suite nodejs npm"
bench_pkgs="nats-server redis-server"

pkgs=$build_pkgs
case $what in
  build) ;;
  test) pkgs="$pkgs $test_pkgs" ;;
  bench) pkgs="$pkgs $test_pkgs $bench_pkgs" ;;
  *) echo "usage: $0 build|test|bench" >&2; exit 2 ;;
esac

missing=()
for p in $pkgs; do
  # nodejs/npm may come from outside Debian (as on the dev machines): accept any node.
  if [ "$p" = nodejs ] && command -v node >/dev/null; then continue; fi
  if [ "$p" = npm ] && command -v npm >/dev/null; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

if [ "$what" != build ]; then
  # kafkajs, its codecs and the schema-registry client for the integration tests, pinned
  # by tests/js/package-lock.json; reinstalled whenever the lock file changes.
  lock_sum=$(md5sum "$here/tests/js/package-lock.json" | cut -d' ' -f1)
  stamp="$here/tests/js/node_modules/.runnel-lock-md5"
  if [ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]; then
    echo "deps: npm ci in tests/js" >&2
    (cd "$here/tests/js" && npm ci --no-audit --no-fund --loglevel=error >&2)
    echo "$lock_sum" > "$stamp"
  fi
fi
