#!/bin/bash
# Converges a running cluster on the stack: the superuser, the Console's user, the cluster properties, the
# Console's grants, then the topics.
# Redpanda reads RP_BOOTSTRAP_USER and .bootstrap.yaml only when the cluster is founded, so every later
# change reaches the cluster here. Properties come from CLUSTER_FILE, one a line: key<TAB>value.
# Topics come from TOPICS_FILE, one a line, tab-separated:
#   name  partitions  replicas  keep|delete  [config=value ...]
# It creates what is missing, adds partitions and alters configs that differ, deletes only
# topics marked `delete`, and leaves topics the spec does not name alone.
#
# The superuser's password is the stack's (RPK_PASS_FILE). After a rotation the cluster still holds the
# one before (PREVIOUS_PASS_FILE): the job logs in with that one and sets the new one. Passwords reach
# the admin API through curl's config on a pipe and rpk through its environment, never a command line.
set -euo pipefail

spec=${TOPICS_FILE:?}
password=""
[[ -z ${RPK_PASS_FILE:-} ]] || password=$(<"$RPK_PASS_FILE")
previous=""
[[ -z ${PREVIOUS_PASS_FILE:-} || ! -s ${PREVIOUS_PASS_FILE:-} ]] || previous=$(<"$PREVIOUS_PASS_FILE")
scheme=http tls=()
if [[ ${RPK_ADMIN_TLS_ENABLED:-} == true ]]; then
    scheme=https tls=(--cacert "${RPK_ADMIN_TLS_CA:?}")
fi
IFS=, read -r -a admins <<<"${RPK_ADMIN_HOSTS:?}"
login=$password

# the admin API, as the superuser where the stack has one; redirects go to the controller's leader
call() {
    local url=$1
    shift
    if [[ -n ${RPK_USER:-} ]]; then
        curl --silent --show-error --max-time 10 --location-trusted "${tls[@]}" \
            --config <(printf 'user = "%s:%s"\n' "$RPK_USER" "$login") "$@" "$url"
    else
        curl --silent --show-error --max-time 10 --location "${tls[@]}" "$@" "$url"
    fi
}

refused() {
    echo "the cluster refuses the superuser's login: it holds neither the stack's password nor the one before" \
        "it. docs/runbook.md ('Rotating a generated secret') sets it by hand." >&2
    exit 1
}

# 60 checks 5 s apart: the wait stays well inside the 10 minutes Pulumi gives a Kubernetes Job. A refused
# login fails at once: waiting cannot change it.
attempts=${HEALTH_ATTEMPTS:-60}
for ((attempt = 1; ; attempt++)); do
    for host in "${admins[@]}"; do
        admin="$scheme://$host"
        status=$(call "$admin/v1/cluster/health_overview" -o /tmp/health -w '%{http_code}' 2>/tmp/error) || true
        if [[ $status == 401 && -n $previous && $login != "$previous" ]]; then
            login=$previous  # a rotation: the cluster still has the password from before it
            status=$(call "$admin/v1/cluster/health_overview" -o /tmp/health -w '%{http_code}' 2>/tmp/error) || true
        fi
        [[ $status != 401 ]] || refused
        if [[ $status == 200 ]] && grep -Eq '"is_healthy": ?true' /tmp/health; then
            break 2
        fi
    done
    if ((attempt >= attempts)); then
        echo "the cluster is not healthy after ${attempts} checks; the last answer (HTTP ${status:-none}):" >&2
        cat /tmp/health /tmp/error >&2 2>/dev/null || true
        exit 1
    fi
    sleep "${HEALTH_INTERVAL:-5}"
done

# a SCRAM user with the stack's password: created, or its password set where it exists with another
set_user() {
    local user status
    user=$(printf '{"username": "%s", "password": "%s", "algorithm": "SCRAM-SHA-256"}' "$1" "$2")
    status=$(call "$admin/v1/security/users" -X POST -H 'Content-Type: application/json' --data-binary @- \
        -o /tmp/answer -w '%{http_code}' <<<"$user") || true
    if [[ $status != 200 ]]; then
        status=$(call "$admin/v1/security/users/$1" -X PUT -H 'Content-Type: application/json' \
            --data-binary @- -o /tmp/answer -w '%{http_code}' <<<"$user") || true
    fi
    [[ $status != 401 ]] || refused
    if [[ $status != 200 ]]; then
        echo "setting the password of $1 failed (HTTP $status): $(cat /tmp/answer)" >&2
        exit 1
    fi
}

# The superuser first: turning SASL on for a running cluster needs the user before enable_sasl. Until
# admin_api_require_auth is on, the admin API takes these calls without a login.
if [[ -n ${RPK_USER:-} ]]; then
    set_user "$RPK_USER" "$password"
    login=$password
    RPK_PASS=$password
    export RPK_PASS
    # the Console's own user, with the grants of CONSOLE_ACLS_FILE alone (kind<TAB>operations<TAB>name)
    if [[ -n ${CONSOLE_USER:-} ]]; then
        set_user "$CONSOLE_USER" "$(<"${CONSOLE_PASS_FILE:?}")"
    fi
fi

set_property() {
    local output
    if ! output=$(rpk cluster config set "$1" "$2" --no-confirm 2>&1); then
        if grep -qiE 'unauthorized|401' <<<"$output"; then
            echo "the cluster asks for a login, and the stack has SASL off: turning SASL off is not converged" \
                "(docs/configuration.md, eventBus.sasl)." >&2
        fi
        echo "$output" >&2
        exit 1
    fi
    echo "$output"
}

while IFS=$'\t' read -r key value; do
    [[ -n $key ]] || continue
    if [[ $key == superusers ]]; then
        # ours joins those an operator added by hand, which stay
        merged=()
        for user in $(rpk cluster config get superusers | sed -n 's/^- //p') ${value//[\[\],]/ }; do
            [[ " ${merged[*]} " == *" $user "* ]] || merged+=("$user")
        done
        value="[$(IFS=,; echo "${merged[*]}")]"
    fi
    set_property "$key" "$value"
done <"${CLUSTER_FILE:?}"

# ACLs take effect once enable_sasl is on (Kafka authorization follows it); creating one that exists changes nothing
if [[ -n ${RPK_USER:-} && -n ${CONSOLE_USER:-} ]]; then
    while IFS=$'\t' read -r kind operations name; do
        [[ -n $kind ]] || continue
        resource=("--$kind")
        [[ -z $name ]] || resource+=("$name")
        rpk security acl create --allow-principal "User:$CONSOLE_USER" --operation "$operations" "${resource[@]}"
    done <"${CONSOLE_ACLS_FILE:?}"
fi

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
        rpk topic alter-config "$name" "${changes[@]}" --no-confirm
    fi
done <"$spec"
echo "topics converged"
