#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster for the database tests and print its DATABASE_URL.
#
#   url=$(tests/pg/start.sh /tmp/somedir)   # the cluster lives in /tmp/somedir/data
#   tests/pg/stop.sh /tmp/somedir
#
# Installs Debian's postgresql when no server binaries are found (root only). initdb refuses
# to run as root, so as root the cluster belongs to the `postgres` user the package creates.
set -euo pipefail
dir=${1:?usage: start.sh DIR}
mkdir -p "$dir"

find_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        [ -x "$d/pg_ctl" ] && { echo "$d"; return 0; }
    done
    command -v pg_ctl >/dev/null 2>&1 && { dirname "$(command -v pg_ctl)"; return 0; }
    return 1
}

if ! bindir=$(find_bindir); then
    if [ "$(id -u)" != 0 ]; then
        echo "start.sh: PostgreSQL is not installed and installing it needs root" >&2
        exit 1
    fi
    echo "start.sh: installing postgresql (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=900 install -y -q postgresql >&2 ||
        { apt-get -o DPkg::Lock::Timeout=900 update -q >&2 &&
          apt-get -o DPkg::Lock::Timeout=900 install -y -q postgresql >&2; }
    bindir=$(find_bindir)
fi

as_owner() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
data="$dir/data"
if [ "$(id -u)" = 0 ]; then
    chown postgres "$dir"
fi
# trust on loopback only; fsync off: the data is thrown away, and the tests should not wait
# on the disk.
as_owner "$bindir/initdb" -D "$data" -U postgres -A trust -E UTF8 --no-locale >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
as_owner "$bindir/pg_ctl" -D "$data" -l "$dir/server.log" -w -t 60 start \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off -c max_connections=200" \
    >&2 || { cat "$dir/server.log" >&2; exit 1; }
as_owner "$bindir/createdb" -h 127.0.0.1 -p "$port" -U postgres bolt_test
echo "$bindir" >"$dir/bindir"
echo "postgres://postgres@127.0.0.1:$port/bolt_test"
