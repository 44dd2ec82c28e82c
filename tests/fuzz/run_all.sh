#!/usr/bin/env bash
# make fuzz-all: every Go fuzz target for FUZZ_ALL_TIME each, then the hypothesis property
# tests with the nightly profile. A target fails when it records a failing input
# (testdata/fuzz/<Target>/...) or `go test` fails for another reason than the fuzzing
# deadline itself ("context deadline exceeded" is how Go sometimes reports a clean end of
# -fuzztime while a worker was busy).
set -uo pipefail
time_each=${FUZZ_ALL_TIME:-30s}
python=${VPY:-.venv/bin/python}
failed=()
for pkg in $(go list ./libbolt/...); do
    dir=$(go list -f '{{.Dir}}' "$pkg")
    for target in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz'); do
        before=$(find "$dir/testdata/fuzz/$target" -type f 2>/dev/null | wc -l)
        out=$(go test -run '^$' -fuzz "^${target}\$" -fuzztime "$time_each" "$pkg" 2>&1)
        rc=$?
        after=$(find "$dir/testdata/fuzz/$target" -type f 2>/dev/null | wc -l)
        if [ "$after" -gt "$before" ]; then
            echo "$out"
            failed+=("$target (failing input in $dir/testdata/fuzz/$target)")
        elif [ $rc -ne 0 ] && ! grep -q 'context deadline exceeded' <<<"$out"; then
            echo "$out"
            failed+=("$target (go test exit $rc)")
        else
            echo "ok   $target ($time_each)"
        fi
    done
done
if ! HYPOTHESIS_PROFILE=nightly "$python" -m pytest tests/py/unit/test_properties.py -q -p no:cacheprovider; then
    failed+=("hypothesis property tests")
fi
if [ ${#failed[@]} -gt 0 ]; then
    printf 'fuzz-all FAILED: %s\n' "${failed[@]}"
    exit 1
fi
echo "fuzz-all: every target ran $time_each without a failing input"
