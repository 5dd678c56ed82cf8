#!/usr/bin/env bash
# The real servers and tools the test suite runs: Debian's packages, and amtool built from Go modules
# at the version of the Alertmanager image (Debian's 0.25 lacks the webhook's url_file).
# Usage: scripts/test-deps.sh check    (names what is missing and how to get it)
#        scripts/test-deps.sh install  (apt-get with sudo unless root; go build into the tools cache)
set -euo pipefail
cd "$(dirname "$0")/.."

# command -> Debian package
declare -A packages=(
    [redis-server]=redis-server
    [prometheus]=prometheus
    [promtool]=prometheus
    [prometheus-alertmanager]=prometheus-alertmanager
    [prometheus-postgres-exporter]=prometheus-postgres-exporter
    [prometheus-redis-exporter]=prometheus-redis-exporter
)
alertmanager=$(grep -oP '"prom/alertmanager:\K[^"]+' components/observability/settings.py)
amtool=${DICTAMESH_TOOLS:-$HOME/.cache/dictamesh/tools}/alertmanager-${alertmanager}/amtool

missing=()
for command in "${!packages[@]}"; do
    command -v "$command" >/dev/null 2>&1 || missing+=("${packages[$command]}")
done
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')

case ${1:-check} in
check)
    problems=()
    ((${#missing[@]})) && problems+=("${missing[*]} (Debian/Ubuntu packages)")
    [[ -x $amtool ]] || problems+=("amtool ${alertmanager} at ${amtool}")
    if ((${#problems[@]})); then
        echo "the tests need: ${problems[*]}; run 'make test-deps' (apt-get and Go)" >&2
        exit 1
    fi
    ;;
install)
    if ((${#missing[@]})); then
        sudo=$([[ $(id -u) == 0 ]] || echo sudo)
        export DEBIAN_FRONTEND=noninteractive
        $sudo apt-get update -qq
        $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        echo "installed: ${missing[*]}"
    fi
    if [[ ! -x $amtool ]]; then
        command -v go >/dev/null || { echo "building amtool needs Go: https://go.dev/doc/install" >&2; exit 1; }
        GOBIN=$(dirname "$amtool") go install "github.com/prometheus/alertmanager/cmd/amtool@${alertmanager}"
        echo "built: $amtool"
    fi
    ;;
*)
    echo "usage: $0 check|install" >&2
    exit 2
    ;;
esac
