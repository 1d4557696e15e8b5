#!/usr/bin/env bash
# bench/run.sh [runnel|all] - produce/consume benchmarks for Runnel and, with `all`, the
# same workload shape against NATS JetStream, Redis Streams and the disk, in one sitting.
#
#   runnel  fresh build/runnel per repeat (temp data dir, 127.0.0.1, free ports); topics of
#           1 partition; rdkbench (librdkafka) produces COUNT 1 KiB events with acks=all and
#           acks=1 (linger.ms=5, <= WINDOW un-acked: the issue's workload), then again with
#           <= 256 un-acked and linger.ms=0 (NATS's window: like-for-like latency); then
#           produces COUNT 1 KiB event envelopes (rdkbench --envelope: a fresh eventId each)
#           with acks=1, <= WINDOW un-acked, to three topics with runnel.validation=none,
#           envelope and schema (a JSON schema for order.created.v1 registered over HTTP
#           first), proving after each validated run that a bad record is refused. The
#           acks=all topic is consumed from the beginning before the validation runs, and
#           every topic is deleted before the next validation run (see drop_topic).
#   all     also, interleaved per repeat:
#           nats   nats-server -js (file storage, R1): natsbench async publish (<=256
#                  un-acked), then a push consumer (flow control, ack none)
#           redis  redis-server --appendonly yes, appendfsync always and everysec:
#                  redis-benchmark -P 64 XADD of the same event (one connection)
#           disk   diskbench: 64 x 1 KiB write() then fdatasync, and 1 x 1 KiB + fdatasync
#
# Results: RESULT lines on stderr, raw rows (system test config metric run value) in
# $BUILD/bench/results.tsv, a summary (median [min..max] over the repeats) and the issue's
# ratios on stdout (also in $BUILD/bench/summary.txt). Server logs: $BUILD/bench/logs/.
#
# Env: REPEATS (3), COUNT (500000 messages per produce/consume run), WINDOW (rdkbench
# max un-acked messages, 0 = only librdkafka's queue limit; default 4096), LINGER_MS (5),
# NATS_WINDOW (256), DISK_SECS (4), CLIENT_TIMEOUT (90 s per client run), BUILD (build),
# BENCH_TMP (/tmp: where data dirs live; put it on the disk you mean to measure),
# RDK_PRODUCE_X / RDK_CONSUME_X (extra "-X k=v ..." for rdkbench).
# VALIDATION=0 skips the three validation runs.
# Every server is started here, on 127.0.0.1, and stopped by PID on exit (also on error or
# Ctrl-C); every load loop is bounded by COUNT and by a timeout.
set -euo pipefail

MODE=${1:-runnel}
case $MODE in runnel | all) ;; *)
    echo "usage: $0 [runnel|all]" >&2
    exit 2
    ;;
esac

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
OUT=$BUILD/bench
REPEATS=${REPEATS:-3}
COUNT=${COUNT:-500000}
WINDOW=${WINDOW:-4096}
LINGER_MS=${LINGER_MS:-5}
NATS_WINDOW=${NATS_WINDOW:-256}
DISK_SECS=${DISK_SECS:-4}
CLIENT_TIMEOUT=${CLIENT_TIMEOUT:-90}
VALIDATION=${VALIDATION:-1}
SIZE=1024
RDK_PRODUCE_X=${RDK_PRODUCE_X:-}
RDK_CONSUME_X=${RDK_CONSUME_X:-}

mkdir -p "$OUT/logs"
rm -f "$OUT"/logs/*.log "$OUT"/logs/*.err
RESULTS=$OUT/results.tsv
[ -f "$RESULTS" ] && mv -f "$RESULTS" "$OUT/results.prev.tsv"
: >"$RESULTS"

log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# ---- processes: everything started here is tracked and stopped by PID ----------------
PIDS=()
stop_pid() { # stop_pid PID: TERM, wait up to 20 s, then KILL; returns the exit status
    local pid=$1 i rc=0
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 200); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        log "pid $pid ignored SIGTERM for 20 s; sending SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || rc=$?
    local keep=() p # forget it, so a reused PID is never signalled later
    for p in "${PIDS[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
    PIDS=("${keep[@]}")
    return $rc
}
cleanup() {
    local rc=$? i
    for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${PIDS[$i]}" || true; done
    [ -n "${WORK:-}" ] && rm -rf "$WORK"
    exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT TERM
WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/runnel-bench.XXXXXX")

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_port() { # wait_port PORT PID: until 127.0.0.1:PORT accepts (30 s) while PID lives
    local i
    for i in $(seq 1 300); do
        (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || { log "server pid $2 exited before listening on $1"; return 1; }
        sleep 0.1
    done
    log "port $1 did not open within 30 s"
    return 1
}

# ---- results --------------------------------------------------------------------------
record() { # record system test config metric run value
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RESULTS"
}
# record_line system test config run "RESULT ... k=v ..." metric... : keeps the named metrics
record_line() {
    local sys=$1 test=$2 cfg=$3 run=$4 line=$5 m v
    shift 5
    for m in "$@"; do
        v=$(printf '%s\n' "$line" | tr ' ' '\n' | sed -n "s/^$m=//p" | head -1)
        [ -n "$v" ] && record "$sys" "$test" "$cfg" "$m" "$run" "$v"
    done
    return 0
}
# failed NOTE: count a failed run (a file, because run_client runs inside $(...))
failed() { printf '%s\n' "$*" >>"$WORK/failures"; }
# run_client LOGNAME cmd... : runs a bounded client, echoes its RESULT line (empty on failure)
run_client() {
    local name=$1 out rc=0
    shift
    out=$(timeout -k 5 $((CLIENT_TIMEOUT + 30)) "$@" 2>"$OUT/logs/$name.err") || rc=$?
    [ -s "$OUT/logs/$name.err" ] && grep -v 'CONFWARN' "$OUT/logs/$name.err" | tail -5 | sed "s/^/  [$name] /" >&2
    if [ $rc -ne 0 ]; then
        log "$name: exit status $rc"
        failed "$name: exit status $rc"
    fi
    printf '%s\n' "$out" | grep '^RESULT' | tail -1 || true
}

# ---- build the clients ------------------------------------------------------------------
CFLAGS_B="-O2 -Wall -Wextra"
log "building clients into $OUT"
gcc $CFLAGS_B -o "$OUT/rdkbench" bench/rdkbench.c $(pkg-config --cflags --libs rdkafka jansson)
gcc $CFLAGS_B -o "$OUT/diskbench" bench/diskbench.c
RDK="$OUT/rdkbench"
if [ "$MODE" = all ]; then
    gcc $CFLAGS_B -o "$OUT/natsbench" bench/natsbench.c
    for b in nats-server redis-server redis-benchmark redis-cli; do
        command -v $b >/dev/null || { log "$b not found: run scripts/deps.sh bench"; exit 1; }
    done
fi
[ -x "$BUILD/runnel" ] || { log "$BUILD/runnel is missing: run make first"; exit 1; }
# `make test` leaves an ASan/UBSan build in the same place; never benchmark that one.
if ldd "$BUILD/runnel" | grep -qE 'lib(asan|ubsan|tsan)' && [ "${ALLOW_SANITIZED:-0}" != 1 ]; then
    log "$BUILD/runnel is a sanitizer build; rebuild with 'make SANITIZE=0' (or ALLOW_SANITIZED=1)"
    exit 1
fi
# run a private copy: a concurrent `make` must not swap the binary in the middle of a sitting
cp "$BUILD/runnel" "$WORK/runnel"
RUNNEL=$WORK/runnel
PAYLOAD=$("$RDK" payload --size $SIZE)

# ---- machine ----------------------------------------------------------------------------
{
    echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "nproc: $(nproc); $(lscpu | sed -n 's/^Model name: *//p')"
    echo "mem: $(free -g | awk '/Mem:/{print $2}') GiB; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "data dir: $WORK on $(df --output=source,fstype "$WORK" | tail -1 | tr -s ' ')"
    echo "runnel: $("$RUNNEL" version 2>/dev/null || echo '?'); librdkafka $(pkg-config --modversion rdkafka)"
    [ "$MODE" = all ] && echo "nats-server: $(nats-server --version 2>&1 | head -1); $(redis-server --version | cut -d' ' -f1-3)"
    echo "count=$COUNT size=$SIZE repeats=$REPEATS window=$WINDOW linger_ms=$LINGER_MS nats_window=$NATS_WINDOW validation=$VALIDATION"
} >"$OUT/machine.txt"
sed 's/^/  /' "$OUT/machine.txt" >&2

# ---- runnel -----------------------------------------------------------------------------
RUNNEL_ADDR=""
RUNNEL_HTTP=""
start_runnel() { # start_runnel RUN -> RUNNEL_PID, RUNNEL_ADDR, RUNNEL_HTTP, RUNNEL_DIR
    RUNNEL_DIR=$WORK/runnel.$1
    mkdir -p "$RUNNEL_DIR/data"
    "$RUNNEL" serve --data-dir "$RUNNEL_DIR/data" --kafka-listen 127.0.0.1:0 \
        --http-listen 127.0.0.1:0 >"$RUNNEL_DIR/stdout" 2>"$OUT/logs/runnel-$1.log" &
    RUNNEL_PID=$!
    PIDS+=("$RUNNEL_PID")
    local i line
    for i in $(seq 1 300); do
        line=$(grep -m1 '^runnel ready ' "$RUNNEL_DIR/stdout" 2>/dev/null || true)
        [ -n "$line" ] && break
        kill -0 "$RUNNEL_PID" 2>/dev/null || { log "runnel exited before ready; see $OUT/logs/runnel-$1.log"; return 1; }
        sleep 0.1
    done
    [ -n "$line" ] || { log "no ready line from runnel within 30 s"; return 1; }
    RUNNEL_ADDR=$(printf '%s\n' "$line" | sed -n 's/.*kafka=\([^ ]*\).*/\1/p')
    RUNNEL_HTTP=$(printf '%s\n' "$line" | sed -n 's/.*http=\([^ ]*\).*/\1/p')
    log "runnel $1 ready on $RUNNEL_ADDR (pid $RUNNEL_PID)"
}
# create_topic NAME [KEY=VALUE ...]: the CLI first, rdkbench's admin path if that fails
create_topic() {
    local name=$1 kv cli=() rdk=()
    shift
    for kv in "$@"; do
        cli+=(--config "$kv")
        rdk+=(--config "$kv")
    done
    if timeout 30 "$RUNNEL" topics create "$name" --partitions 1 "${cli[@]}" \
        --brokers "$RUNNEL_ADDR" >/dev/null 2>>"$OUT/logs/topics.err"; then
        return 0
    fi
    log "runnel topics create $name failed (see $OUT/logs/topics.err); using rdkbench create"
    timeout 30 "$RDK" create --brokers "$RUNNEL_ADDR" --topic "$name" --partitions 1 "${rdk[@]}"
}
CLK_TCK=$(getconf CLK_TCK)
cpu_ticks() { # cpu_ticks PID: user + system CPU of the process so far, in clock ticks
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
# produce_run RUN TEST TOPIC ACKS WINDOW LINGER_MS CONFIG [rdkbench option ...]
# Besides the client's figures it records the broker's CPU time per delivered message
# (all its threads, user + system, from /proc: 10 ms resolution).
produce_run() {
    local r=$1 test=$2 topic=$3 acks=$4 window=$5 linger=$6 cfg=$7 line c0 c1 msgs
    shift 7
    c0=$(cpu_ticks "$RUNNEL_PID")
    line=$(run_client "runnel-$test-$r" "$RDK" produce --brokers "$RUNNEL_ADDR" --topic "$topic" \
        --count "$COUNT" --size $SIZE --acks "$acks" --linger-ms "$linger" --window "$window" \
        --timeout "$CLIENT_TIMEOUT" "$@" $RDK_PRODUCE_X)
    c1=$(cpu_ticks "$RUNNEL_PID")
    log "$line"
    record_line runnel "$test" "$cfg" "$r" "$line" msgs_per_s MB_per_s p50_us p99_us p999_us \
        max_us rtt_avg_us rtt_p99_us rtt_max_us errors
    msgs=$(printf '%s\n' "$line" | tr ' ' '\n' | sed -n 's/^msgs=//p')
    if [ -n "$msgs" ] && [ "$msgs" -gt 0 ]; then
        record runnel "$test" "$cfg" broker_cpu_us_per_msg "$r" \
            "$(awk -v d=$((c1 - c0)) -v hz="$CLK_TCK" -v n="$msgs" 'BEGIN{printf "%.2f", d / hz * 1e6 / n}')"
    fi
}

# ---- runnel: validation at the produce boundary ------------------------------------------
# The data schema of order.created.v1 (what rdkbench --envelope sends): required members
# with types, two patterns, a minimum, an enum, and a maxLength on the padding string.
# Envelopes of 1 KiB carry 635 bytes of padding; the 2 KiB probe below carries 1,659.
SCHEMA='{"$schema":"http://json-schema.org/draft-07/schema#","title":"order.created.v1 data",
"type":"object","required":["orderId","customerId","totalAmount","currency","quantity","padding"],
"properties":{"orderId":{"type":"string","pattern":"^[0-9a-f]{12}$"},
"customerId":{"type":"string","pattern":"^customer-[0-9]+$","maxLength":64},
"totalAmount":{"type":"number","minimum":0},
"currency":{"type":"string","enum":["SEK","EUR","USD","NOK","DKK"]},
"quantity":{"type":"integer","minimum":1,"maximum":1000},
"padding":{"type":"string","maxLength":1000}},
"additionalProperties":false}'
register_schema() { # register_schema SUBJECT: POST $SCHEMA to the broker's registry
    local body resp
    body=$(python3 -c 'import json,sys; print(json.dumps({"schemaType": "JSON",
        "schema": json.dumps(json.loads(sys.argv[1]), separators=(",", ":"))}))' "$SCHEMA")
    resp=$(curl -s -m 10 -X POST -H 'Content-Type: application/vnd.schemaregistry.v1+json' \
        --data "$body" "http://$RUNNEL_HTTP/subjects/$1/versions" 2>&1) || true
    if printf '%s' "$resp" | grep -q '"id"'; then
        log "schema registered under $1: $resp"
        return 0
    fi
    log "registering the schema of $1 at http://$RUNNEL_HTTP failed: ${resp:-no answer}"
    return 1
}
# drop_topic TOPIC: deletes it, so that the next run writes into page cache the kernel just
# freed. On this VM writing into memory that was not recently in use costs the broker 5-8x
# the system time (0.3-0.4 us per 1 KiB write() becomes 2.7-3.5 us once ~500 MB more are
# in the page cache; dd shows the same), which would make whichever run comes later look
# slower. Every validation run therefore starts with its predecessor's data gone.
drop_topic() {
    timeout 30 "$RUNNEL" topics delete "$1" --brokers "$RUNNEL_ADDR" >/dev/null \
        2>>"$OUT/logs/topics.err" || log "runnel topics delete $1 failed (see $OUT/logs/topics.err)"
    sleep 1 # the broker unlinks the files after answering
}
# probe_reject RUN TOPIC WHAT rdkbench-option...: one message that must be refused (proves
# the topic really validates, and what); a failed run if it is stored.
probe_reject() {
    local r=$1 topic=$2 what=$3 out rc=0
    shift 3
    out=$(timeout -k 5 60 "$RDK" produce --brokers "$RUNNEL_ADDR" --topic "$topic" --count 1 \
        --acks 1 --linger-ms 0 --timeout 30 "$@" 2>"$OUT/logs/probe-$topic-$r.err") || rc=$?
    if [ $rc -eq 3 ] && printf '%s\n' "$out" | grep -q ' msgs=0 .*errors=1 ' &&
        grep -qiE 'failed to validate record|invalid.record' "$OUT/logs/probe-$topic-$r.err"; then
        log "probe: $topic refused $what ($(grep -i 'first:' "$OUT/logs/probe-$topic-$r.err" | sed 's/.*first: //'))"
    else
        log "probe: $topic did NOT refuse $what (exit $rc): $out"
        failed "probe $topic $r: $what was not refused"
    fi
}
bench_validation() { # bench_validation RUN: the same envelopes to none / envelope / schema
    local r=$1 mode cfg
    for mode in none envelope schema; do
        cfg="acks=1, linger.ms=$LINGER_MS, window=$WINDOW, 1 KiB envelopes, runnel.validation=$mode"
        create_topic "bench-val-$mode" "runnel.validation=$mode" ||
            { failed "create bench-val-$mode $r"; continue; }
        if [ $mode = schema ] && ! register_schema order.created.v1; then
            failed "schema registration $r"
            continue
        fi
        produce_run "$r" "produce_val_$mode" "bench-val-$mode" 1 "$WINDOW" "$LINGER_MS" "$cfg" \
            --envelope
        case $mode in
        envelope) probe_reject "$r" "bench-val-$mode" "a record that is not an envelope" ;;
        schema) probe_reject "$r" "bench-val-$mode" "an envelope whose data breaks the schema" \
            --envelope --size 2048 ;;
        esac
        drop_topic "bench-val-$mode"
    done
}
bench_runnel() { # bench_runnel RUN
    local r=$1 line rc=0
    start_runnel "$r" || { failed "$FUNCNAME $*"; return 0; }
    # the issue's workload: one producer, librdkafka with linger, <= WINDOW un-acked
    local t
    for t in bench-all bench-one bench-all-w bench-one-w; do
        create_topic "$t" || failed "create $t $r"
    done
    produce_run "$r" produce_acks_all bench-all all "$WINDOW" "$LINGER_MS" \
        "1 partition, linger.ms=$LINGER_MS, window=$WINDOW, fsync (b)"
    produce_run "$r" produce_acks_1 bench-one 1 "$WINDOW" "$LINGER_MS" \
        "1 partition, linger.ms=$LINGER_MS, window=$WINDOW, write() (a)"
    # like-for-like latency with NATS's async publish: <= NATS_WINDOW un-acked, no linger
    produce_run "$r" produce_acks_all_w$NATS_WINDOW bench-all-w all "$NATS_WINDOW" 0 \
        "1 partition, linger.ms=0, window=$NATS_WINDOW, fsync (b)"
    produce_run "$r" produce_acks_1_w$NATS_WINDOW bench-one-w 1 "$NATS_WINDOW" 0 \
        "1 partition, linger.ms=0, window=$NATS_WINDOW, write() (a)"
    local disk_bytes
    disk_bytes=$(du -sb "$RUNNEL_DIR/data" | cut -f1) # the four topics above
    line=$(run_client "runnel-consume-$r" "$RDK" consume --brokers "$RUNNEL_ADDR" \
        --topic bench-all --count "$COUNT" --size $SIZE --timeout "$CLIENT_TIMEOUT" $RDK_CONSUME_X)
    log "$line"
    record_line runnel consume "1 partition, from beginning, no group" "$r" "$line" \
        msgs_per_s MB_per_s first_msg_ms errors
    record runnel produce_acks_all "disk bytes/msg" disk_bytes_per_msg "$r" \
        "$((disk_bytes / (4 * COUNT)))"
    if [ "$VALIDATION" = 1 ]; then
        for t in bench-all bench-one bench-all-w bench-one-w; do drop_topic "$t"; done
        bench_validation "$r"
    fi
    stop_pid "$RUNNEL_PID" || rc=$?
    [ $rc -eq 0 ] || { log "runnel exited with status $rc on SIGTERM (want 0)"; failed "runnel $r: exit $rc on SIGTERM"; }
    if grep -qiE 'error|fatal|panic|assert' "$OUT/logs/runnel-$r.log"; then
        log "runnel log $r has error lines:"
        grep -iE 'error|fatal|panic|assert' "$OUT/logs/runnel-$r.log" | head -5 | sed 's/^/  /' >&2
    fi
    rm -rf "$RUNNEL_DIR"
}

# ---- NATS JetStream ------------------------------------------------------------------------
bench_nats() { # bench_nats RUN
    local r=$1 port dir pid line cfg="file storage, R1, write() per msg, fsync every 2 min (a)"
    port=$(free_port)
    dir=$WORK/nats.$r
    mkdir -p "$dir"
    nats-server -js -a 127.0.0.1 -p "$port" -sd "$dir" >"$OUT/logs/nats-$r.log" 2>&1 &
    pid=$!
    PIDS+=("$pid")
    wait_port "$port" "$pid" || { failed "$FUNCNAME $*"; return 0; }
    line=$(run_client "nats-pub-$r" "$OUT/natsbench" pub --url "127.0.0.1:$port" --create \
        --count "$COUNT" --size $SIZE --window "$NATS_WINDOW" --timeout "$CLIENT_TIMEOUT")
    log "$line"
    record_line nats publish "async, <=$NATS_WINDOW un-acked, $cfg" "$r" "$line" msgs_per_s \
        MB_per_s p50_us p99_us p999_us errors
    line=$(run_client "nats-sub-$r" "$OUT/natsbench" sub --url "127.0.0.1:$port" \
        --count "$COUNT" --timeout "$CLIENT_TIMEOUT")
    log "$line"
    record_line nats consume_push "ordered-style push consumer, flow control" "$r" "$line" \
        msgs_per_s MB_per_s
    stop_pid "$pid" || true
    rm -rf "$dir"
}

# ---- Redis Streams -------------------------------------------------------------------------
bench_redis() { # bench_redis RUN always|everysec
    local r=$1 fsync=$2 port dir pid line rps cfg
    port=$(free_port)
    dir=$WORK/redis.$r.$fsync
    mkdir -p "$dir"
    redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly yes \
        --appendfsync "$fsync" --auto-aof-rewrite-percentage 0 --daemonize no \
        --logfile "$OUT/logs/redis-$r-$fsync.log" &
    pid=$!
    PIDS+=("$pid")
    wait_port "$port" "$pid" || { failed "$FUNCNAME $*"; return 0; }
    # --csv: "test","rps","avg_latency_ms","min_latency_ms","p50_latency_ms","p95...","p99...","max..."
    # (the test column holds the raw command, so read the numbers from the right)
    line=$(timeout -k 5 $((CLIENT_TIMEOUT + 30)) redis-benchmark -h 127.0.0.1 -p "$port" -c 1 \
        -P 64 -n "$COUNT" --csv XADD s '*' d "$PAYLOAD" 2>"$OUT/logs/redis-bench-$r-$fsync.err" |
        tail -1 | awk -F'","' '{n=NF; gsub(/"/,"",$n); printf "rps=%s p50_ms=%s p99_ms=%s", $(n-6), $(n-3), $(n-1)}') ||
        { log "redis-benchmark failed"; failed "redis-benchmark $r $fsync"; }
    rps=$(printf '%s\n' "$line" | tr ' ' '\n' | sed -n 's/^rps=//p')
    if [ "$fsync" = always ]; then cfg="appendfsync always (b)"; else cfg="appendfsync everysec (a)"; fi
    cfg="pipeline 64, 1 connection, $cfg"
    log "RESULT redis xadd $fsync $line"
    if [ -n "$rps" ]; then
        record redis "xadd_$fsync" "$cfg" msgs_per_s "$r" "$(awk -v x="$rps" 'BEGIN{printf "%.0f", x}')"
        record redis "xadd_$fsync" "$cfg" MB_per_s "$r" "$(awk -v x="$rps" -v s=$SIZE 'BEGIN{printf "%.1f", x*s/1e6}')"
        record_line redis "xadd_$fsync" "$cfg" "$r" "$line" p50_ms p99_ms
    fi
    stop_pid "$pid" || true
    rm -rf "$dir"
}

# ---- disk -----------------------------------------------------------------------------------
bench_disk() { # bench_disk RUN
    local r=$1 line g
    for g in 64 1; do
        line=$(run_client "disk-$g-$r" "$OUT/diskbench" "$WORK/disk.dat" --bs $SIZE --group $g \
            --secs "$DISK_SECS")
        log "$line"
        record_line disk "write_fdatasync_$g" "1 KiB write()s, then 1 fdatasync per $g" "$r" "$line" \
            msgs_per_s MB_per_s fsyncs_per_s cycle_p50_us cycle_p99_us
    done
}

# ---- the sitting ------------------------------------------------------------------------------
T0=$(date +%s)
for r in $(seq 1 "$REPEATS"); do
    log "=== repeat $r of $REPEATS (load $(cut -d' ' -f1 /proc/loadavg)) ==="
    # other work on the box skews everything: keep the 1-minute load beside the figures
    record machine loadavg "1-min load average at the start of the repeat" load1 "$r" \
        "$(cut -d' ' -f1 /proc/loadavg)"
    bench_runnel "$r"
    if [ "$MODE" = all ]; then
        bench_nats "$r"
        bench_redis "$r" always
        bench_redis "$r" everysec
        bench_disk "$r"
    fi
done
log "done in $(($(date +%s) - T0)) s; load after: $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- summary and ratios -------------------------------------------------------------------------
python3 - "$RESULTS" "$MODE" "$NATS_WINDOW" <<'PYEOF' | tee "$OUT/summary.txt"
import sys, statistics, collections
path, mode, nwin = sys.argv[1], sys.argv[2], sys.argv[3]
groups = collections.OrderedDict()
per_run = collections.defaultdict(dict)
for line in open(path):
    f = line.rstrip("\n").split("\t")
    if len(f) != 6:
        continue
    try:
        v = float(f[5])
    except ValueError:
        continue
    groups.setdefault((f[0], f[1], f[2], f[3]), []).append(v)
    per_run[(f[0], f[1], f[3])][f[4]] = v

def fmt(x):
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"

print()
print(f"{'system':<7} {'test':<22} {'metric':<18} {'median':>10}  {'[min .. max]':<24} config")
for (s, t, c, m), vs in groups.items():
    if m == "errors" and max(vs) == 0:
        continue
    rng = f"[{fmt(min(vs))} .. {fmt(max(vs))}] n={len(vs)}"
    print(f"{s:<7} {t:<22} {m:<18} {fmt(statistics.median(vs)):>10}  {rng:<24} {c}")

def med(s, t, m="msgs_per_s"):
    vs = [v for (s2, t2, c, m2), vals in groups.items() if (s2, t2, m2) == (s, t, m) for v in vals]
    return statistics.median(vs) if vs else None

def ratio_line(name, a, b, target, note=""):
    ma, mb = med(*a), med(*b)
    if not ma or not mb:
        print(f"  {name:<58} n/a (missing results)")
        return
    ra, rb = per_run[a + ("msgs_per_s",)], per_run[b + ("msgs_per_s",)]
    runs = [ra[k] / rb[k] for k in ra if k in rb and rb[k] > 0]
    rng = f"[{min(runs):.2f} .. {max(runs):.2f}]" if runs else ""
    verdict = "meets" if ma / mb >= target else "MISSES"
    print(f"  {name:<58} {ma / mb:5.2f}x {rng:<16} target >= {target:g}x: {verdict}{note}")

if med("runnel", "produce_val_none"):
    print()
    print("validation at the produce boundary (acks=1, 1 KiB envelopes; msgs/s medians, per-repeat ratios in brackets):")
    for m in ("none", "envelope", "schema"):
        v = med("runnel", f"produce_val_{m}")
        if v:
            cpu = med("runnel", f"produce_val_{m}", "broker_cpu_us_per_msg")
            print(f"  runnel.validation={m:<9} {v:>9,.0f} msgs/s  p50/p99 "
                  f"{med('runnel', f'produce_val_{m}', 'p50_us'):,.0f}/"
                  f"{med('runnel', f'produce_val_{m}', 'p99_us'):,.0f} us  broker CPU "
                  + (f"{cpu:.2f} us/msg" if cpu is not None else "n/a"))
    ratio_line("schema-validated / unvalidated produce", ("runnel", "produce_val_schema"),
               ("runnel", "produce_val_none"), 0.5, " (issue 4)")
    ratio_line("envelope-validated / unvalidated produce", ("runnel", "produce_val_envelope"),
               ("runnel", "produce_val_none"), 0.5)

if mode == "all":
    print()
    print("ratios (msgs/s, median over repeats; per-repeat ratios in brackets):")
    checks = [("runnel acks=all produce / Redis XADD appendfsync always", ("runnel", "produce_acks_all"), ("redis", "xadd_always"), 3.0),
              ("runnel acks=all produce / NATS JetStream publish", ("runnel", "produce_acks_all"), ("nats", "publish"), 1.0),
              ("runnel acks=1 produce / NATS JetStream publish", ("runnel", "produce_acks_1"), ("nats", "publish"), 1.5),
              ("runnel consume / NATS JetStream push consume", ("runnel", "consume"), ("nats", "consume_push"), 1.5)]
    for name, a, b, target in checks:
        ma, mb = med(*a), med(*b)
        if not ma or not mb:
            print(f"  {name:<58} n/a (missing results)")
            continue
        ra, rb = per_run[a + ("msgs_per_s",)], per_run[b + ("msgs_per_s",)]
        runs = [ra[k] / rb[k] for k in ra if k in rb and rb[k] > 0]
        rng = f"[{min(runs):.2f} .. {max(runs):.2f}]" if runs else ""
        verdict = "meets" if ma / mb >= target else "MISSES"
        print(f"  {name:<58} {ma / mb:5.2f}x {rng:<16} target >= {target:g}x: {verdict}")
    print()
    print(f"like-for-like with NATS's async publish (<= {nwin} un-acked; runnel with linger.ms=0):")
    for t in (f"produce_acks_all_w{nwin}", f"produce_acks_1_w{nwin}"):
        ma, mb = med("runnel", t), med("nats", "publish")
        if ma and mb:
            print(f"  runnel {t:<22} {ma:>9,.0f} msgs/s = {ma / mb:4.2f}x NATS; p50/p99 "
                  f"{med('runnel', t, 'p50_us'):,.0f}/{med('runnel', t, 'p99_us'):,.0f} us vs NATS "
                  f"{med('nats', 'publish', 'p50_us'):,.0f}/{med('nats', 'publish', 'p99_us'):,.0f} us")
PYEOF
echo "raw results: $RESULTS" >&2
if [ -s "$WORK/failures" ]; then
    log "$(wc -l <"$WORK/failures") run(s) failed; see $OUT/logs/:"
    sed 's/^/  /' "$WORK/failures" >&2
    exit 1
fi
