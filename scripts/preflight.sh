#!/usr/bin/env bash
# Checks what `pulumi up` needs before anything runs, and says how to get what is missing.
# Usage: scripts/preflight.sh STACK
set -euo pipefail

stack=${1:?usage: scripts/preflight.sh STACK}
missing=0

fail() {
    echo "preflight: $1" >&2
    missing=1
}

if ! command -v uv >/dev/null 2>&1 && ! command -v python3 >/dev/null 2>&1; then
    fail "neither uv nor python3 is installed. Install uv: https://docs.astral.sh/uv/getting-started/installation/"
fi

if ! command -v pulumi >/dev/null 2>&1; then
    fail "the Pulumi CLI is not installed. Install it: 'curl -fsSL https://get.pulumi.com | sh' (or 'brew install pulumi'), then open a new shell"
fi

target=$(sed -n 's/^ *dictamesh:target: *//p' "Pulumi.${stack}.yaml" 2>/dev/null || true)
if [[ -z $target ]]; then
    target=$([[ $stack == dev ]] && echo docker || echo kubernetes)
fi

if [[ $target == docker ]]; then
    if ! command -v docker >/dev/null 2>&1; then
        fail "the Docker CLI is not installed. Install Docker Desktop or Docker Engine: https://docs.docker.com/engine/install/"
    elif ! docker info >/dev/null 2>&1; then
        fail "the Docker engine is not reachable ('docker info' failed). Start Docker Desktop or 'sudo systemctl start docker', and check DOCKER_HOST"
    fi
else
    if ! command -v kubectl >/dev/null 2>&1; then
        echo "preflight: kubectl is not installed; Pulumi does not need it, but the README's operations do" >&2
    fi
    if [[ -z ${PULUMI_CONFIG_PASSPHRASE+set} && -z ${PULUMI_CONFIG_PASSPHRASE_FILE:-} ]]; then
        fail "stack ${stack} keeps real secrets: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) first"
    fi
fi

if ((missing)); then
    exit 1
fi
echo "preflight: ready for stack ${stack} (target ${target})"
