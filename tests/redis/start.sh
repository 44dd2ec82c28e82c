#!/usr/bin/env bash
# Start a throwaway Redis for the shared-state tests and print its REDIS_URL.
#
#   url=$(tests/redis/start.sh /tmp/somedir)   # the server's files live in /tmp/somedir
#   tests/redis/stop.sh /tmp/somedir
#
# Installs Debian's redis-server when it is missing (root only). Loopback only, a free
# port, no persistence: the data is thrown away.
set -euo pipefail
dir=${1:?usage: start.sh DIR}
mkdir -p "$dir"

if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
        echo "start.sh: redis-server is not installed and installing it needs root" >&2
        exit 1
    fi
    echo "start.sh: installing redis-server (apt-get)..." >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get -o DPkg::Lock::Timeout=900 install -y -q redis-server >&2 ||
        { apt-get -o DPkg::Lock::Timeout=900 update -q >&2 &&
          apt-get -o DPkg::Lock::Timeout=900 install -y -q redis-server >&2; }
fi

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# daemonize: redis-server forks once it listens and writes its pid file.
redis-server --bind 127.0.0.1 --port "$port" --dir "$dir" --save '' --appendonly no \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
for _ in $(seq 100); do
    if redis-cli -h 127.0.0.1 -p "$port" ping 2>/dev/null | grep -q PONG; then
        echo "$port" >"$dir/port"
        echo "redis://127.0.0.1:$port/0"
        exit 0
    fi
    sleep 0.1
done
cat "$dir/redis.log" >&2
echo "start.sh: redis-server did not answer on port $port" >&2
exit 1
