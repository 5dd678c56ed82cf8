#!/bin/sh
# Backs the catalog up with pg_dump, or restores a dump when DICTAMESH_RESTORE names one.
# Connection: PGHOST, PGPORT, PGDATABASE; backups as PGUSER (read-only role) with PGPASSWORD_FILE,
# restores as RESTORE_USER with RESTORE_PASSWORD_FILE. Dumps live in BACKUP_DIR for RETENTION_DAYS.
set -eu

: "${PGHOST:?}" "${PGDATABASE:?}" "${BACKUP_DIR:?}"

if [ -n "${DICTAMESH_RESTORE:-}" ]; then
    PGPASSWORD=$(cat "${RESTORE_PASSWORD_FILE:?}")
    export PGPASSWORD
    echo "restoring ${DICTAMESH_RESTORE} into ${PGDATABASE} on ${PGHOST}"
    pg_restore --username "${RESTORE_USER:?}" --dbname "${PGDATABASE}" \
        --clean --if-exists --single-transaction --exit-on-error "${DICTAMESH_RESTORE}"
    echo "restored"
    exit 0
fi

PGPASSWORD=$(cat "${PGPASSWORD_FILE:?}")
export PGPASSWORD
# a run killed mid-dump (deadline, eviction) leaves its .partial behind; runs never overlap (Forbid)
find "${BACKUP_DIR}" -name "${PGDATABASE}-*.dump.partial" -print -delete
stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="${BACKUP_DIR}/${PGDATABASE}-${stamp}.dump"
# a lock held by a long transaction fails the run instead of hanging it until the job's deadline
pg_dump --format=custom --lock-wait-timeout="${LOCK_WAIT_TIMEOUT:-300s}" --file "${target}.partial"
mv "${target}.partial" "${target}"
echo "backup written: ${target} ($(wc -c < "${target}") bytes)"
find "${BACKUP_DIR}" -name "${PGDATABASE}-*.dump" -mtime +"${RETENTION_DAYS:-7}" -print -delete
