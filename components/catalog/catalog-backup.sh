#!/bin/sh
# Backs the catalog up with pg_dump, as the read-only backup role (PGUSER, PGPASSWORD_FILE).
# Connection: PGHOST, PGPORT, PGDATABASE. Dumps live in BACKUP_DIR for RETENTION_DAYS; the newest is always kept.
set -eu

: "${PGHOST:?}" "${PGDATABASE:?}" "${BACKUP_DIR:?}"
PGPASSWORD=$(cat "${PGPASSWORD_FILE:?}")
export PGPASSWORD

# Old dumps go first, so that a full claim makes room before the new dump needs it. The newest stays whatever
# its age: a backup that has failed for longer than the retention leaves one dump to restore.
newest=$(find "${BACKUP_DIR}" -name "${PGDATABASE}-*.dump" | sort | tail -n 1)
find "${BACKUP_DIR}" -name "${PGDATABASE}-*.dump" -mtime +"${RETENTION_DAYS:-7}" ! -path "${newest:-/}" -print -delete
# A run killed mid-dump (deadline, eviction) leaves its .partial; one written in the last JOB_MINUTES may
# belong to a run still going (a manual run beside the nightly one), and is left alone.
find "${BACKUP_DIR}" -name "${PGDATABASE}-*.dump.partial" -mmin +"${JOB_MINUTES:-60}" -print -delete

stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="${BACKUP_DIR}/${PGDATABASE}-${stamp}.dump"
# a lock held by a long transaction fails the run instead of hanging it until the job's deadline; a run
# that fails takes its .partial away (one that is killed cannot: the next run's prune does)
pg_dump --format=custom --lock-wait-timeout="${LOCK_WAIT_TIMEOUT:-300s}" --file "${target}.partial" || {
    rm -f "${target}.partial"
    exit 1
}
mv "${target}.partial" "${target}"
echo "backup written: ${target} ($(wc -c < "${target}") bytes)"
