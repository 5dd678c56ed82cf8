#!/bin/bash
# Runs one broker as `rpk "$@"` (`redpanda start ...`), and drains it before it stops.
#
# Redpanda stops on SIGTERM without moving partition leadership away: its clients wait out an election on every
# stop. So on the stop signal (Docker's stop, or Kubernetes' SIGTERM) this puts the broker in maintenance mode and
# waits, up to DRAIN_SECONDS, until its leadership has moved to the others (the chart's preStop hook does the
# same); then it stops the broker. Once it is ready and the cluster healthy again, it leaves maintenance mode.
# One broker may be in maintenance at a time: a second one waits its turn within its budget, and a cluster of
# fewer than three has nowhere to move leadership.
#
# Environment: ADMIN_URL (this broker's admin API), ADMIN_CA and ADMIN_NAME under TLS, RP_BOOTSTRAP_USER
# (user:password) when the admin API asks for a login.
set -uo pipefail

cp -f /etc/dictamesh/redpanda.yaml /etc/redpanda/redpanda.yaml || exit 1
tls=()
if [[ -n ${ADMIN_CA:-} ]]; then
    tls=(--cacert "$ADMIN_CA" --resolve "${ADMIN_NAME:?}:9644:127.0.0.1")
fi

# the admin API's public endpoints (readiness, health): no login, so a stale one cannot lock them out
public() {
    curl --silent --max-time 5 "${tls[@]}" "$@"
}

# the admin API as the superuser, the login read by curl from a pipe, never from its command line
admin() {
    if [[ -n ${RP_BOOTSTRAP_USER:-} ]]; then
        curl --silent --max-time 5 "${tls[@]}" --config <(printf 'user = "%s"\n' "${RP_BOOTSTRAP_USER%:SCRAM*}") "$@"
    else
        curl --silent --max-time 5 "${tls[@]}" "$@"
    fi
}

node_id() {
    admin --fail "$ADMIN_URL/v1/node_config" | grep -o '"node_id": *[0-9]*' | grep -o '[0-9]*$'
}

drain() {
    local deadline=$((SECONDS + ${DRAIN_SECONDS:-45})) id status nodes
    mapfile -t nodes < <(public "$ADMIN_URL/v1/cluster/health_overview" | grep -o '"all_nodes": *\[[0-9, ]*\]' |
        grep -o '[0-9]\+')
    if ((${#nodes[@]} < 3)); then
        echo "drain: ${#nodes[@]} broker(s) in the cluster, nowhere to move leadership to; stopping"
        return
    fi
    if ! id=$(node_id) || [[ -z $id ]]; then
        echo "drain: the admin API gave no node id (a login it refuses?); stopping without a drain"
        return
    fi
    # 400: another broker is in maintenance, this one waits its turn; 404: no longer a member
    until status=$(admin -o /dev/null -w '%{http_code}' -X PUT "$ADMIN_URL/v1/brokers/$id/maintenance") &&
        [[ $status == 200 || $status == 404 ]]; do
        if ((SECONDS >= deadline)); then
            echo "drain: broker $id could not enter maintenance mode (HTTP $status) in time; stopping"
            return
        fi
        sleep 1
    done
    [[ $status == 200 ]] || return
    until admin "$ADMIN_URL/v1/maintenance" | grep -Eq '"finished": ?true'; do
        if ((SECONDS >= deadline)); then
            echo "drain: broker $id still holds leadership after ${DRAIN_SECONDS:-45} s; stopping"
            return
        fi
        sleep 1
    done
    echo "drain: broker $id moved its leadership to the others"
}

# once this broker is ready and the cluster healthy again (its replicas caught up), or at the latest
# HEALTHY_WAIT seconds after it is ready: a broker left in maintenance would hold the one slot. On SIGTERM it
# ends after its current command, so a request in flight lands before the drain starts (a DELETE landing after
# the drain's PUT took the broker out of maintenance mid-drain: found by a flaky test)
leave_maintenance() {
    local id deadline
    trap 'exit 0' TERM
    until public "$ADMIN_URL/v1/status/ready" | grep -q '"ready"'; do sleep 2; done
    deadline=$((SECONDS + ${HEALTHY_WAIT:-600}))
    until public "$ADMIN_URL/v1/cluster/health_overview" | grep -Eq '"is_healthy": ?true' ||
        ((SECONDS >= deadline)); do
        sleep 2
    done
    id=$(node_id) || return
    # 400: it was not in maintenance mode
    admin -o /dev/null -X DELETE "$ADMIN_URL/v1/brokers/$id/maintenance"
}

stop() {
    trap '' TERM INT
    kill -TERM "$leaver" 2>/dev/null
    wait "$leaver"
    drain
    kill -TERM "$broker" 2>/dev/null
}

leave_maintenance &
leaver=$!
rpk "$@" &
broker=$!
trap stop TERM INT
code=0
while kill -0 "$broker" 2>/dev/null; do
    wait "$broker"
    code=$?
done
kill "$leaver" 2>/dev/null
exit "$code"
