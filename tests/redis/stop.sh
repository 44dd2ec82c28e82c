#!/usr/bin/env bash
# Stop the Redis tests/redis/start.sh DIR started, and delete DIR.
set -uo pipefail
dir=${1:?usage: stop.sh DIR}
if [ -f "$dir/redis.pid" ]; then
    pid=$(cat "$dir/redis.pid")
    kill "$pid" 2>/dev/null
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
fi
rm -rf "$dir"
