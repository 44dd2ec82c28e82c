#!/usr/bin/env bash
# Run a command (the test suite) with REDIS_URL pointing at a throwaway Redis.
#
# REDIS_URL already set: used as it is. Otherwise a server is started with start.sh when
# that is possible (root, or redis-server installed) and stopped afterwards. With CI=true a
# server that cannot start is an error; elsewhere the Redis tests skip.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${REDIS_URL:-}" ]; then
    dir=$(mktemp -d /tmp/bolt-redis.XXXXXX)
    trap '"$here/stop.sh" "$dir"' EXIT
    if url=$("$here/start.sh" "$dir"); then
        export REDIS_URL="$url"
        echo "Redis for the shared-state tests: $REDIS_URL" >&2
    elif [ "${CI:-}" = true ]; then
        echo "run.sh: Redis could not be started and CI=true requires it" >&2
        exit 1
    else
        echo "run.sh: no Redis (not root and not installed): its tests will skip" >&2
    fi
fi
"$@"
