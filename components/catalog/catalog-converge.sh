#!/bin/sh
# Brings a running catalog to what the stack says, on every `pulumi up` that changes it: the database,
# the roles and their passwords, the schema and the privileges. The image runs its init scripts on an
# empty data directory only; this runs the same idempotent SQL as the superuser against any server.
# Connection: PGHOST, PGPORT, the superuser's password in SUPERUSER_PASSWORD_FILE; CATALOG_DATABASE;
# the SQL files, in name order, in SQL_DIR.
set -eu

: "${PGHOST:?}" "${CATALOG_DATABASE:?}" "${SQL_DIR:?}"
PGPASSWORD=$(cat "${SUPERUSER_PASSWORD_FILE:?}")
export PGPASSWORD PGUSER="${PGUSER:-postgres}"

# the database name is checked by the settings as an SQL identifier
psql -X -v ON_ERROR_STOP=1 -q -d postgres <<SQL
SELECT 'CREATE DATABASE ${CATALOG_DATABASE}'
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = '${CATALOG_DATABASE}') \gexec
SQL
for script in "${SQL_DIR}"/*.sql; do
    echo "applying $(basename "$script")"
    psql -X -v ON_ERROR_STOP=1 -q -d "${CATALOG_DATABASE}" -f "$script"
done
echo "catalog ${CATALOG_DATABASE} converged"
