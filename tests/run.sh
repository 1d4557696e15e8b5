#!/usr/bin/env bash
# tests/run.sh - run Runnel's tests; `make test` calls it after building (ASan/UBSan).
#
#   tests/run.sh [unit|fuzz|integration|all] [FILTER]
#
#   unit         every Criterion binary $BUILD/tests/unit/**/test_* (each test counted)
#   fuzz         every $BUILD/tests/fuzz/replay_fuzz_X on tests/fuzz/corpus/fuzz_X (one
#                test each); in CI (CI=true) also `make fuzz-smoke` if clang exists
#   integration  every tests/integration/test_*.py (Debian's /usr/bin/python3) and
#                test_*.js (node), each under a time limit; a script reports sub-results
#                as lines "ok NAME", "ok NAME # skip REASON", "not ok NAME # REASON"
#   FILTER       only tests whose name (e.g. unit/log/test_segment, fuzz/fuzz_varint,
#                test_kcat) contains this substring
#
# Prints one line per test (PASS/FAIL/SKIP, name, seconds), the log tail of failures
# (full logs in $BUILD/test-logs/), and last, exactly one line "N passed, N failed"
# (plus ", N skipped" if any). Exit 1 if anything failed, 2 on a usage error.
#
# Environment: BUILD (default build), RUNNEL_TEST_TIMEOUT (seconds per integration
# script, default 300), RUNNEL_TEST_KEEP=1 (keep the brokers' temp dirs), CI.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

usage() {
    sed -n '2,/^set -uo/p' "$0" | sed -e '/^set -uo/d' -e 's/^# \{0,1\}//'
}

part=${1:-all}
filter=${2:-}
case $part in
    unit | fuzz | integration | all) ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
esac

BUILD=${BUILD:-build}
export BUILD
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
PY=/usr/bin/python3
INTEG_TIMEOUT=${RUNNEL_TEST_TIMEOUT:-300}
UNIT_TIMEOUT=300
FUZZ_TIMEOUT=300
LOGDIR=$BUILD/test-logs
mkdir -p "$LOGDIR"

passed=0
failed=0
skipped=0
failures=()
suite_t0=${EPOCHREALTIME/./}

now_us() { echo "${EPOCHREALTIME/./}"; }

# secs T0_US [T1_US]: elapsed seconds with one decimal.
secs() {
    local t1=${2:-$(now_us)}
    local d=$((t1 - $1))
    printf '%d.%d' $((d / 1000000)) $(((d % 1000000) / 100000))
}

matches() { [[ -z $filter || $1 == *"$filter"* ]]; }

pass() { # NAME SECS
    passed=$((passed + 1))
    printf 'PASS  %s (%ss)\n' "$1" "$2"
}

fail() { # NAME SECS REASON
    failed=$((failed + 1))
    failures+=("$1")
    printf 'FAIL  %s (%ss)%s\n' "$1" "$2" "${3:+: $3}"
}

skip() { # NAME REASON
    skipped=$((skipped + 1))
    printf 'SKIP  %s: %s\n' "$1" "$2"
}

show_log() { # LOG: the end of a failing test's log, indented
    echo "      --- last lines of $1:"
    tail -n "${2:-80}" "$1" | sed 's/^/      | /'
    echo "      ---"
}

# ------------------------------------------------------------------------------ unit

run_unit() {
    local bins bin name log t0 rc synth tested passing failing line st tname rest nfail_lines
    mapfile -t bins < <(find "$BUILD/tests/unit" -type f -name 'test_*' -perm -u+x \
        ! -name '*.d' ! -name '*.o' 2>/dev/null | sort)
    for bin in "${bins[@]}"; do
        name=unit/${bin#"$BUILD"/tests/unit/}
        matches "$name" || continue
        log=$LOGDIR/${name//\//_}.log
        t0=$(now_us)
        timeout -k 10 "$UNIT_TIMEOUT" "$bin" --verbose >"$log" 2>&1
        rc=$?
        # per-test lines: "[PASS] suite::test: (0.01s)", "[FAIL] suite::test: CRASH!"
        nfail_lines=0
        while IFS= read -r line; do
            line=$(printf '%s' "$line" | sed 's/\x1b\[[0-9;]*m//g')
            [[ $line =~ ^\[(PASS|FAIL|SKIP)\]\ (.+)$ ]] || continue
            st=${BASH_REMATCH[1]}
            tname=${BASH_REMATCH[2]%%: *}
            rest=${BASH_REMATCH[2]#"$tname"}
            rest=${rest#: }
            case $st in
                PASS) printf 'PASS  %s: %s %s\n' "$name" "$tname" "$rest" ;;
                FAIL) printf 'FAIL  %s: %s %s\n' "$name" "$tname" "$rest"
                      failures+=("$name: $tname")
                      nfail_lines=$((nfail_lines + 1)) ;;
                SKIP) printf 'SKIP  %s: %s %s\n' "$name" "$tname" "$rest" ;;
            esac
        done < <(grep -aE '^(\x1b\[[0-9;]*m)*\[(PASS|FAIL|SKIP)' "$log")
        synth=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -a 'Synthesis: Tested:' | tail -n 1)
        if [[ $synth =~ Tested:\ ([0-9]+)\ \|\ Passing:\ ([0-9]+)\ \|\ Failing:\ ([0-9]+) ]]; then
            tested=${BASH_REMATCH[1]}
            passing=${BASH_REMATCH[2]}
            failing=${BASH_REMATCH[3]}
            passed=$((passed + passing))
            failed=$((failed + failing))
            if ((failing > nfail_lines)); then
                # failures without a [FAIL] line of their own
                for ((i = nfail_lines; i < failing; i++)); do failures+=("$name"); done
            fi
            if ((rc != 0 && failing == 0)); then
                fail "$name" "$(secs "$t0")" "exit $rc although all $tested tests passed"
            else
                printf '      %s: %d tested, %d passed, %d failed (%ss)\n' "$name" "$tested" \
                    "$passing" "$failing" "$(secs "$t0")"
            fi
            if ((failing > 0 || rc != 0)); then show_log "$log"; fi
        else
            if ((rc == 124 || rc == 137)); then
                fail "$name" "$(secs "$t0")" "timed out after ${UNIT_TIMEOUT}s"
            else
                fail "$name" "$(secs "$t0")" "exit $rc without a Criterion synthesis line"
            fi
            show_log "$log"
        fi
    done
}

# ------------------------------------------------------------------------------ fuzz

run_fuzz() {
    local bins bin tgt name corpus log t0 rc
    mapfile -t bins < <(find "$BUILD/tests/fuzz" -maxdepth 1 -type f -name 'replay_fuzz_*' \
        -perm -u+x ! -name '*.d' ! -name '*.o' 2>/dev/null | sort)
    for bin in "${bins[@]}"; do
        tgt=${bin##*/replay_}
        name=fuzz/$tgt
        matches "$name" || continue
        corpus=tests/fuzz/corpus/$tgt
        if [[ ! -d $corpus ]]; then
            skip "$name" "no corpus directory $corpus"
            continue
        fi
        log=$LOGDIR/${name//\//_}.log
        t0=$(now_us)
        timeout -k 10 "$FUZZ_TIMEOUT" "$bin" "$corpus" >"$log" 2>&1
        rc=$?
        if ((rc == 0)); then
            pass "$name" "$(secs "$t0")"
        else
            fail "$name" "$(secs "$t0")" "exit $rc replaying $corpus"
            show_log "$log" 40
        fi
    done
    if [[ ${CI:-} == true ]] && matches fuzz/smoke; then
        if command -v clang >/dev/null; then
            log=$LOGDIR/fuzz_smoke.log
            t0=$(now_us)
            if timeout -k 10 600 make -s fuzz-smoke >"$log" 2>&1; then
                pass fuzz/smoke "$(secs "$t0")"
            else
                fail fuzz/smoke "$(secs "$t0")" "make fuzz-smoke failed"
                show_log "$log" 60
            fi
        else
            skip fuzz/smoke "clang not installed"
        fi
    fi
}

# ------------------------------------------------------------------------------ integration

# run_script NAME LOG CMD...: runs one integration script, counting its sub-results.
run_script() {
    local name=$1 log=$2
    shift 2
    local rcfile t0 last line sub reason nres=0 nfail=0 rc
    rcfile=$(mktemp)
    : >"$log"
    t0=$(now_us)
    last=$t0
    while IFS= read -r line; do
        printf '%s\n' "$line" >>"$log"
        case $line in
            'not ok '*)
                sub=${line#not ok }
                reason=
                if [[ $sub == *' # '* ]]; then
                    reason=${sub#* # }
                    sub=${sub%% # *}
                fi
                nres=$((nres + 1))
                nfail=$((nfail + 1))
                fail "$name/$sub" "$(secs "$last")" "$reason"
                last=$(now_us)
                ;;
            'ok '*)
                sub=${line#ok }
                nres=$((nres + 1))
                if [[ $sub == *' # skip'* || $sub == *' # SKIP'* ]]; then
                    reason=${sub#* # }
                    reason=${reason#[sS][kK][iI][pP]}
                    skip "$name/${sub%% # *}" "${reason# }"
                else
                    pass "$name/$sub" "$(secs "$last")"
                fi
                last=$(now_us)
                ;;
        esac
    done < <(
        timeout -k 10 "$INTEG_TIMEOUT" "$@" 2>>"$log" </dev/null
        echo $? >"$rcfile"
    )
    rc=$(cat "$rcfile" 2>/dev/null)
    rm -f "$rcfile"
    rc=${rc:-1}
    if ((rc == 124 || rc == 137)); then
        fail "$name" "$(secs "$t0")" "timed out after ${INTEG_TIMEOUT}s (sub-results after the hang are missing)"
        nfail=$((nfail + 1))
    elif ((rc != 0 && nfail == 0)); then
        fail "$name" "$(secs "$t0")" "exit $rc without a failing sub-result"
        nfail=$((nfail + 1))
    elif ((nres == 0)); then
        pass "$name" "$(secs "$t0")"
    fi
    printf '      %s: %d sub-results, exit %s (%ss)\n' "$name" "$nres" "$rc" "$(secs "$t0")"
    if ((nfail > 0)); then show_log "$log"; fi
}

run_integration() {
    local script base name
    export NODE_PATH=$PWD/tests/js/node_modules${NODE_PATH:+:$NODE_PATH}
    export PYTHONDONTWRITEBYTECODE=1
    if [[ ! -x $BUILD/runnel ]]; then
        echo "note: $BUILD/runnel does not exist: integration tests will fail" >&2
    fi
    for script in tests/integration/test_*.py tests/integration/test_*.js; do
        [[ -f $script ]] || continue
        base=${script##*/}
        name=${base%.*}
        matches "$name" || continue
        case $script in
            *.py)
                if [[ ! -x $PY ]]; then
                    skip "$name" "$PY not found (Debian's python3 is needed for its Kafka clients)"
                    continue
                fi
                run_script "$name" "$LOGDIR/integration_$name.log" "$PY" -u "$script"
                ;;
            *.js)
                if ! command -v node >/dev/null; then
                    skip "$name" "node not found"
                    continue
                fi
                run_script "$name" "$LOGDIR/integration_$name.log" node "$script"
                ;;
        esac
    done
}

# ------------------------------------------------------------------------------ main

case $part in
    unit) run_unit ;;
    fuzz) run_fuzz ;;
    integration) run_integration ;;
    all) run_unit; run_fuzz; run_integration ;;
esac

echo
# The JSON-Schema-Test-Suite counts per draft (issue 4 asks make test to print them).
if [[ -f $LOGDIR/unit_registry_test_jsonschema_suite.log ]]; then
    grep -ah '^json-schema ' "$LOGDIR/unit_registry_test_jsonschema_suite.log"
fi
echo "tests took $(secs "$suite_t0")s; logs in $LOGDIR/"
if ((${#failures[@]} > 0)); then
    echo "failed:"
    printf '  %s\n' "${failures[@]}"
fi
summary="$passed passed, $failed failed"
if ((skipped > 0)); then summary+=", $skipped skipped"; fi
echo "$summary"
((failed == 0))
