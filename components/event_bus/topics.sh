#!/bin/bash
# Converges a running cluster on the stack: the superuser, the cluster properties, then the topics.
# Redpanda reads RP_BOOTSTRAP_USER and .bootstrap.yaml only when the cluster is founded, so every later
# change reaches the cluster here. Properties come from CLUSTER_FILE, one a line: key<TAB>value.
# Topics come from TOPICS_FILE, one a line, tab-separated:
#   name  partitions  replicas  keep|delete  [config=value ...]
# It creates what is missing, adds partitions and alters configs that differ, deletes only
# topics marked `delete`, and leaves topics the spec does not name alone.
set -euo pipefail

spec=${TOPICS_FILE:?}
if [[ -n ${RPK_PASS_FILE:-} ]]; then
    RPK_PASS=$(<"$RPK_PASS_FILE")
    export RPK_PASS
fi

# 60 checks 5 s apart: the wait stays well inside the 10 minutes Pulumi gives a Kubernetes Job
attempts=${HEALTH_ATTEMPTS:-60}
for ((attempt = 1; ; attempt++)); do
    # read the whole report first: `rpk ... | grep -q` under pipefail fails when grep stops reading early
    if health=$(rpk cluster health 2>&1) && grep -Eq 'Healthy:.+true' <<<"$health"; then
        break
    fi
    if ((attempt >= attempts)); then
        echo "the cluster is not healthy after ${attempts} checks; the last answer:" >&2
        echo "$health" >&2
        exit 1
    fi
    sleep "${HEALTH_INTERVAL:-5}"
done

# The superuser first: turning SASL on for a running cluster needs the user before enable_sasl. Until
# admin_api_require_auth is on, the admin API takes these calls without a login. The password goes on
# rpk's command line, seen only inside this job's own container.
refused() {
    echo "$1" >&2
    if ! grep -qiE 'unauthorized|401' <<<"$1"; then
        :
    elif [[ -n ${RPK_USER:-} ]]; then
        echo "the cluster refuses the superuser's password from the stack: it still holds the one it had" \
            "before the password was replaced. docs/runbook.md ('Rotating a generated secret') sets it." >&2
    else
        echo "the cluster asks for a login, and the stack has SASL off: turning SASL off is not converged" \
            "(docs/configuration.md, eventBus.sasl)." >&2
    fi
    exit 1
}
if [[ -n ${RPK_USER:-} ]]; then
    if ! created=$(rpk security user create "$RPK_USER" --password "$RPK_PASS" --mechanism SCRAM-SHA-256 2>&1); then
        grep -qi 'already exists' <<<"$created" || refused "$created"
        updated=$(rpk security user update "$RPK_USER" --new-password "$RPK_PASS" --mechanism SCRAM-SHA-256 2>&1) ||
            refused "$updated"
    fi
fi
while IFS=$'\t' read -r key value; do
    [[ -n $key ]] || continue
    set_output=$(rpk cluster config set "$key" "$value" 2>&1) || refused "$set_output"
    echo "$set_output"
done <"${CLUSTER_FILE:?}"

existing=$(rpk topic list | awk 'NR > 1 { print $1 }')

while IFS=$'\t' read -r -a fields; do
    ((${#fields[@]} >= 4)) || continue
    name=${fields[0]} partitions=${fields[1]} replicas=${fields[2]} action=${fields[3]}
    configs=("${fields[@]:4}")

    if ! grep -qxF -- "$name" <<<"$existing"; then
        if [[ $action == delete ]]; then
            continue
        fi
        create=(rpk topic create "$name" --partitions "$partitions" --replicas "$replicas")
        for config in "${configs[@]}"; do
            create+=(--topic-config "$config")
        done
        "${create[@]}"
        continue
    fi

    if [[ $action == delete ]]; then
        rpk topic delete "$name"
        continue
    fi

    summary=$(rpk topic describe "$name" --print-summary)
    current_partitions=$(awk '$1 == "PARTITIONS" { print $2 }' <<<"$summary")
    current_replicas=$(awk '$1 == "REPLICAS" { print $2 }' <<<"$summary")
    if ((partitions > current_partitions)); then
        rpk topic add-partitions "$name" --num $((partitions - current_partitions))
    elif ((partitions < current_partitions)); then
        echo "warning: $name keeps its $current_partitions partitions: Kafka cannot remove partitions" >&2
    fi

    described=$(rpk topic describe "$name" --print-configs)
    changes=()
    if ((replicas != current_replicas)); then
        changes+=(--set "replication.factor=$replicas")
    fi
    for config in "${configs[@]}"; do
        key=${config%%=*}
        value=${config#*=}
        have=$(awk -v key="$key" '$1 == key { print $2 }' <<<"$described")
        if [[ $have != "$value" ]]; then
            changes+=(--set "$config")
        fi
    done
    if ((${#changes[@]})); then
        rpk topic alter-config "$name" "${changes[@]}"
    fi
done <"$spec"
echo "topics converged"
