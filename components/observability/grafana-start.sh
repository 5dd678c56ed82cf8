#!/bin/sh
# Starts Grafana with the stack's admin password, on a database it already has too. Grafana applies
# GF_SECURITY_ADMIN_PASSWORD only when it creates its database, so after a rotation, a restored volume or a
# replaced pod the stack's output would name a password Grafana does not take. Grafana's own CLI sets it first,
# read from the secret file on stdin (never a command line); then Grafana starts as the image starts it.
set -u

if [ -s "${GF_PATHS_DATA:?}/grafana.db" ]; then
    said=$(grafana cli admin reset-admin-password --password-from-stdin <"${GF_SECURITY_ADMIN_PASSWORD__FILE:?}" 2>&1)
    # the CLI exits 0 when it fails too: its words say which
    case $said in
    *"Admin password changed successfully"*) echo "grafana-start: the admin password is the stack's" ;;
    *) echo "grafana-start: the admin password was not set, Grafana keeps the one it had: $said" >&2 ;;
    esac
fi
exec /run.sh "$@"
