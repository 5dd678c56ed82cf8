#!/usr/bin/env bash
# What `make e2e` needs beyond `make test-deps`: Debian's dockerd (the dev stack's engine), busybox (the
# stand-in images' userland, with bash: scripts/standins.py), Node.js and npm (the TypeScript example), and the
# Pulumi CLI with its plugins. An installed CLI is used as it is; otherwise ../shared/engine/build.sh builds it
# from source (cold: about 15 minutes; cached by version under ~/.cache/dictamesh/engine).
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
command -v dockerd >/dev/null || missing+=(docker.io)
command -v busybox >/dev/null || missing+=(busybox-static)
command -v node >/dev/null || missing+=(nodejs)  # the TypeScript example (examples/typescript)
command -v npm >/dev/null || missing+=(npm)
if ((${#missing[@]})); then
    sudo=$([[ $(id -u) == 0 ]] || echo sudo)
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    echo "installed: ${missing[*]}"
fi
if ! command -v pulumi >/dev/null; then
    build=../shared/engine/build.sh
    built=${DICTAMESH_ENGINE_HOME:-$HOME/.cache/dictamesh/engine}/bin/pulumi
    if [[ -f $build ]]; then
        bash "$build" >/dev/null
    elif [[ ! -x $built ]]; then  # a checkout without shared/ beside it uses an engine built before
        echo "e2e needs the Pulumi CLI: https://www.pulumi.com/docs/install/" >&2
        exit 1
    fi
fi
