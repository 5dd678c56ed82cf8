#!/usr/bin/env bash
# The real servers and tools the test suite runs, from Debian's packages.
# Usage: scripts/test-deps.sh check    (names what is missing and how to get it)
#        scripts/test-deps.sh install  (apt-get, with sudo unless root)
set -euo pipefail

# command -> Debian package
declare -A needed=(
    [redis-server]=redis-server
    [prometheus-redis-exporter]=prometheus-redis-exporter
)

missing=()
for command in "${!needed[@]}"; do
    command -v "$command" >/dev/null 2>&1 || missing+=("${needed[$command]}")
done

case ${1:-check} in
check)
    if ((${#missing[@]})); then
        echo "the tests need: ${missing[*]} (Debian/Ubuntu: 'make test-deps'; elsewhere install them with your package manager)" >&2
        exit 1
    fi
    ;;
install)
    ((${#missing[@]})) || exit 0
    sudo=$([[ $(id -u) == 0 ]] || echo sudo)
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "installed: ${missing[*]}"
    ;;
*)
    echo "usage: $0 check|install" >&2
    exit 2
    ;;
esac
