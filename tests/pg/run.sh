#!/usr/bin/env bash
# Run a command (the test suite) with DATABASE_URL pointing at a throwaway PostgreSQL.
#
# DATABASE_URL already set: used as it is. Otherwise a cluster is started with start.sh when
# that is possible (root, or the server binaries installed) and stopped afterwards. With
# CI=true a cluster that cannot start is an error; elsewhere the PostgreSQL tests skip.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${DATABASE_URL:-}" ]; then
    dir=$(mktemp -d /tmp/bolt-pg.XXXXXX)
    chmod 755 "$dir"
    trap '"$here/stop.sh" "$dir"' EXIT
    if url=$("$here/start.sh" "$dir"); then
        export DATABASE_URL="$url"
        echo "PostgreSQL for the database tests: $DATABASE_URL" >&2
    elif [ "${CI:-}" = true ]; then
        echo "run.sh: PostgreSQL could not be started and CI=true requires it" >&2
        exit 1
    else
        echo "run.sh: no PostgreSQL (not root and not installed): its tests will skip" >&2
    fi
fi
"$@"
