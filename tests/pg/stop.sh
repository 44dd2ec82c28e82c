#!/usr/bin/env bash
# Stop the cluster tests/pg/start.sh DIR started, and delete it.
set -uo pipefail
dir=${1:?usage: stop.sh DIR}
if [ -f "$dir/bindir" ] && [ -d "$dir/data" ]; then
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$(cat "$dir/bindir")/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    else
        "$(cat "$dir/bindir")/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
fi
rm -rf "$dir"
