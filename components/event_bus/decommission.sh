#!/bin/bash
# Runs before any broker leaves (on Kubernetes before the StatefulSet changes, on Docker after the brokers that
# stay and before the engine removes the others): every broker of the cluster that the stack no longer names is
# decommissioned, one at a time, and this waits until its replicas have moved to the others. A broker
# that still holds replicas is never removed: if the brokers that stay cannot hold every topic's replicas, this
# fails first, naming the topics, and decommissions nothing.
#
# Environment: KEEP_HOSTS (the advertised RPC hosts of the brokers that stay, space-separated), ADMIN_URLS (their
# admin APIs, comma-separated), RPK_* for rpk (brokers, TLS, SASL), RPK_PASS_FILE, ADMIN_CA under TLS.
set -euo pipefail

read -r -a keep <<<"${KEEP_HOSTS:?}"
IFS=, read -r -a admins <<<"${ADMIN_URLS:?}"
tls=()
[[ -z ${ADMIN_CA:-} ]] || tls=(--cacert "$ADMIN_CA")
password="" previous=""
[[ -z ${RPK_PASS_FILE:-} ]] || password=$(<"$RPK_PASS_FILE")
[[ -z ${PREVIOUS_PASS_FILE:-} || ! -s ${PREVIOUS_PASS_FILE:-} ]] || previous=$(<"$PREVIOUS_PASS_FILE")
# until the topics job has set a rotated password, the cluster holds the one before it
RPK_PASS=$password
export RPK_PASS

# the admin API as the superuser, the login read by curl from a pipe, never from its command line
call() {
    if [[ -n ${RPK_USER:-} ]]; then
        curl --silent --show-error --max-time 10 "${tls[@]}" \
            --config <(printf 'user = "%s:%s"\n' "$RPK_USER" "$RPK_PASS") "$@"
    else
        curl --silent --show-error --max-time 10 "${tls[@]}" "$@"
    fi
}

# A broker that stays and answers. None of them resolving is a cluster with no broker yet: nothing to do.
for ((attempt = 1; ; attempt++)); do
    unresolved=0
    for url in "${admins[@]}"; do
        code=0
        brokers=$(call --fail "$url/v1/brokers" 2>/tmp/answer) || code=$?
        ((code == 0)) && break 2
        ((code != 6)) || unresolved=$((unresolved + 1))
        if grep -q 'error: 401' /tmp/answer; then
            if [[ -n $previous && $RPK_PASS != "$previous" ]]; then
                RPK_PASS=$previous  # a rotation the topics job has yet to converge
                continue
            fi
            echo "the admin API refuses the stack's superuser login, and the one before it:" \
                "docs/runbook.md ('Rotating a generated secret') sets it by hand" >&2
            exit 1
        fi
    done
    if ((unresolved == ${#admins[@]})); then
        echo "no broker runs yet: nothing to decommission"
        exit 0
    fi
    if ((attempt >= ${ATTEMPTS:-24})); then
        echo "no broker that stays answers at ${ADMIN_URLS}: a broker is decommissioned only by a running cluster;" \
            "the last answer: $(</tmp/answer)" >&2
        exit 1
    fi
    sleep "${INTERVAL:-5}"
done

# node_id leads every broker's object in /v1/brokers: one line per broker, then its id and address
leaving=()
while read -r line; do
    id=$(grep -o '"node_id": *[0-9]*' <<<"$line" | grep -o '[0-9]*$')
    host=$(grep -o '"internal_rpc_address": *"[^"]*"' <<<"$line") && host=${host%\"} && host=${host##*\"}
    [[ " ${keep[*]} " == *" $host "* ]] || leaving+=("$id:$host")
done < <(sed 's/"node_id"/\n"node_id"/g' <<<"$brokers" | grep '"node_id"')
if ((${#leaving[@]} == 0)); then
    echo "every broker of the cluster stays: nothing to decommission"
    exit 0
fi

# every topic's replicas must fit on the brokers that stay, internal topics included
remaining=${#keep[@]}
too_many=""
while read -r name _ replicas _; do
    [[ $replicas =~ ^[0-9]+$ ]] && ((replicas > remaining)) && too_many+="$name ($replicas replicas) "
done < <(rpk topic list --internal)
if [[ -n $too_many ]]; then
    echo "eventBus.brokers: ${#leaving[@]} broker(s) would leave ${remaining}, and these topics have more replicas" \
        "than that: ${too_many}. Decommissioning would never finish, so nothing was decommissioned. Lower their" \
        "replication first (rpk topic alter-config <topic> --set replication.factor=${remaining}; docs/runbook.md," \
        "'Scaling the brokers'), then run the update again." >&2
    exit 1
fi

for broker in "${leaving[@]}"; do
    id=${broker%%:*}
    echo "decommissioning broker $id (${broker#*:})"
    status=$(call -o /tmp/answer -w '%{http_code}' -X PUT "$url/v1/brokers/$id/decommission")
    # 400: already draining, from an earlier run that stopped
    if [[ $status != 200 && $status != 400 ]]; then
        echo "the admin API refused to decommission broker $id (HTTP $status): $(</tmp/answer)" >&2
        exit 1
    fi
    until progress=$(call --fail "$url/v1/brokers/$id/decommission" 2>/tmp/answer) &&
        grep -Eq '"finished": ?true' <<<"$progress"; do
        if grep -q 'error: 404' /tmp/answer; then
            break  # no longer a member: done
        fi
        echo "broker $id: $(grep -o '"replicas_left": *[0-9]*' <<<"${progress:-}" || echo 'progress unknown')"
        sleep "${INTERVAL:-5}"
    done
    echo "broker $id is decommissioned: it holds no replica, and may stop"
done
