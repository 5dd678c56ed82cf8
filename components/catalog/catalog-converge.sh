#!/bin/sh
# Brings a running catalog to what the stack says, on every `pulumi up` that changes it: the database (renamed
# from RENAME_FROM when asked), the roles and their verifiers, the schema and the privileges. The image runs the
# schema on an empty data directory only; this runs the same idempotent SQL as the superuser against any server.
# Connection: PGHOST, PGPORT, the superuser's password in SUPERUSER_PASSWORD_FILE; CATALOG_DATABASE;
# the SQL files, in name order, in SQL_DIR.
#
# Live servers: every statement runs under a lock_timeout. One that would queue behind a long transaction (and
# make every write on the table queue behind it) fails instead, and its file runs again a little later.
set -eu

: "${PGHOST:?}" "${CATALOG_DATABASE:?}" "${SQL_DIR:?}"
PGPASSWORD=$(cat "${SUPERUSER_PASSWORD_FILE:?}")
PGOPTIONS="-c lock_timeout=${LOCK_TIMEOUT:-5s}"
export PGPASSWORD PGOPTIONS PGUSER="${PGUSER:-postgres}"
attempts=${LOCK_ATTEMPTS:-24}

# psql with its arguments, again after a lock timeout or a session still in the way of a rename
run() {
    attempt=1
    while ! out=$(psql -X -v ON_ERROR_STOP=1 -q "$@" 2>&1); do
        echo "$out" >&2
        case $out in
            *"lock timeout"* | *"is being accessed by other users"*) ;;
            *) return 1 ;;
        esac
        if [ "$attempt" -ge "$attempts" ]; then
            echo "gave up after $attempt tries: a long transaction holds what the catalog needs;" \
                "SELECT pid, xact_start, query FROM pg_stat_activity ORDER BY xact_start names it" >&2
            return 1
        fi
        attempt=$((attempt + 1))
        sleep "${LOCK_RETRY_SECONDS:-5}"
    done
    [ -z "$out" ] || echo "$out"
}

# names are SQL identifiers checked by the settings
if [ -n "${RENAME_FROM:-}" ]; then
    run -d postgres <<SQL
SELECT pg_terminate_backend(pid) FROM pg_stat_activity
 WHERE datname = '${RENAME_FROM}' AND pid <> pg_backend_pid()
   AND NOT EXISTS (SELECT FROM pg_database WHERE datname = '${CATALOG_DATABASE}');
SELECT 'ALTER DATABASE ${RENAME_FROM} RENAME TO ${CATALOG_DATABASE}'
 WHERE EXISTS (SELECT FROM pg_database WHERE datname = '${RENAME_FROM}')
   AND NOT EXISTS (SELECT FROM pg_database WHERE datname = '${CATALOG_DATABASE}') \gexec
SQL
fi
run -d postgres <<SQL
SELECT 'CREATE DATABASE ${CATALOG_DATABASE}'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${CATALOG_DATABASE}') \gexec
SQL
for script in "${SQL_DIR}"/*.sql; do
    echo "applying $(basename "$script")"
    run -d "${CATALOG_DATABASE}" -f "$script"
done
echo "catalog ${CATALOG_DATABASE} converged"
