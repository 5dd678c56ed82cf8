#!/bin/bash
# Converges the cluster's topics on a spec file, one topic a line, tab-separated:
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
        echo "the cluster is not healthy after ${attempts} checks" >&2
        exit 1
    fi
    sleep "${HEALTH_INTERVAL:-5}"
done

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
