#!/usr/bin/env bash
# Installs Debian packages non-interactively, for the tools that tests need
# (postgresql, redis-server, chromium) on a fresh machine or CI.
#
#   scripts/apt-install.sh PACKAGE...
#
# Only as root: anyone else gets told what to install and a non-zero exit.
# Services that the packages would start on their own (a `main` PostgreSQL
# cluster on 5432, a redis on 6379) are kept from starting: the project starts
# its own throwaway servers (scripts/services.sh).
set -euo pipefail

if [ "$#" -eq 0 ]; then
    echo "usage: $0 PACKAGE..." >&2
    exit 2
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "apt-install: missing $*; install them (e.g. sudo apt-get install -y $*) and retry" >&2
    exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# policy-rc.d exiting 101 tells invoke-rc.d not to start services; only add
# one when the machine has none, and always take ours away again.
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    added_policy=1
fi
cleanup() {
    if [ "$added_policy" -eq 1 ]; then
        rm -f "$policy"
    fi
}
trap cleanup EXIT

echo "apt-install: installing $*" >&2
apt-get update -qq </dev/null
apt-get install -y -qq --no-install-recommends "$@" </dev/null
