#!/usr/bin/env bash
# Run a command (the test suite) with BOLT_NGINX naming Debian's nginx binary, for the tests that
# put deploy/nginx/django-bolt.conf in front of runbolt (tests/py/e2e/test_nginx.py; each
# test starts its own nginx on free loopback ports).
#
# Installs nginx-light when it is missing (root only). With CI=true an nginx that cannot be
# installed is an error; elsewhere those tests skip.
set -uo pipefail
find_nginx() {
    command -v nginx 2>/dev/null || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; }
}
if [ -z "${BOLT_NGINX:-}" ]; then
    if ! bin=$(find_nginx) && [ "$(id -u)" = 0 ]; then
        echo "run.sh: installing nginx-light (apt-get)..." >&2
        export DEBIAN_FRONTEND=noninteractive
        apt-get -o DPkg::Lock::Timeout=900 install -y -q nginx-light >&2 ||
            { apt-get -o DPkg::Lock::Timeout=900 update -q >&2 &&
              apt-get -o DPkg::Lock::Timeout=900 install -y -q nginx-light >&2; }
        bin=$(find_nginx)
        # Without a policy-rc.d the package starts a system nginx on port 80 that we just
        # installed; the tests run their own, so stop it.
        if [ -n "${bin:-}" ] && [ -s /run/nginx.pid ]; then
            "$bin" -s quit >/dev/null 2>&1 || true
        fi
    fi
    if [ -n "${bin:-}" ]; then
        export BOLT_NGINX="$bin"
    elif [ "${CI:-}" = true ]; then
        echo "run.sh: nginx could not be installed and CI=true requires it" >&2
        exit 1
    else
        echo "run.sh: no nginx (not root and not installed): its tests will skip" >&2
    fi
fi
"$@"
