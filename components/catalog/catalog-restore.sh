#!/bin/sh
# Restores a dump (DICTAMESH_RESTORE, a path under BACKUP_DIR) into the catalog, as the superuser
# (RESTORE_USER, RESTORE_PASSWORD_FILE), then grants what the stack's roles are to have (PRIVILEGES_FILE).
# The dump's owners and grants are left out: its roles may have been renamed since it was taken. One
# transaction: a failure changes nothing. Stop the writers first (docs/runbook.md, "Restoring the catalog").
set -eu

: "${PGHOST:?}" "${PGDATABASE:?}" "${DICTAMESH_RESTORE:?set DICTAMESH_RESTORE to the dump to restore}"
PGPASSWORD=$(cat "${RESTORE_PASSWORD_FILE:?}")
export PGPASSWORD PGUSER="${RESTORE_USER:?}"
echo "restoring ${DICTAMESH_RESTORE} into ${PGDATABASE} on ${PGHOST}"
pg_restore --dbname "${PGDATABASE}" --no-owner --no-privileges \
    --clean --if-exists --single-transaction --exit-on-error "${DICTAMESH_RESTORE}"
psql -X -v ON_ERROR_STOP=1 -q -d "${PGDATABASE}" -f "${PRIVILEGES_FILE:?}"
echo "restored, with the stack's privileges"
