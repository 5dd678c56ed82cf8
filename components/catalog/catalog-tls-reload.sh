#!/bin/sh
# Makes PostgreSQL serve the certificate in its files: pg_reload_conf() as a role that may run nothing else, then
# a look at what the server presents. A renewed pair the server cannot load (a key that does not match) is kept
# out while pg_reload_conf() still returns true: the server's log says why, and this job fails so someone looks.
# Connection: PGHOST, PGPORT (PGHOSTADDR, where set, is dialled instead, as libpq does), PGSSLROOTCERT; the
# role's password in PASSWORD_FILE; the certificate the server should present in SERVER_CERT_FILE.
set -eu

: "${PGHOST:?}" "${PGPORT:?}" "${PGSSLROOTCERT:?}" "${SERVER_CERT_FILE:?}"
PGPASSWORD=$(cat "${PASSWORD_FILE:?}")
export PGPASSWORD
psql -X -v ON_ERROR_STOP=1 -qtA -c "SELECT pg_reload_conf()" >/dev/null

fingerprint() {
    openssl x509 -noout -fingerprint -sha256 "$@" 2>/dev/null || true
}
served() {
    openssl s_client -starttls postgres -connect "${PGHOSTADDR:-$PGHOST}:${PGPORT}" -servername "$PGHOST" \
        -verify_hostname "$PGHOST" -CAfile "$PGSSLROOTCERT" -verify_return_error </dev/null 2>/dev/null | fingerprint
}

want=$(fingerprint -in "$SERVER_CERT_FILE")
[ -n "$want" ] || { echo "$SERVER_CERT_FILE: not a certificate" >&2; exit 1; }
# the postmaster reloads on its own time after the signal: look again for a few seconds
for _ in 1 2 3 4 5 6 7 8 9 10; do
    got=$(served)
    if [ "$got" = "$want" ]; then
        echo "serving the certificate of $SERVER_CERT_FILE"
        exit 0
    fi
    sleep 1
done
echo "the server presents ${got:-no certificate that verifies against $PGSSLROOTCERT}, not $want from" \
    "$SERVER_CERT_FILE: it kept its old certificate; its log says why (\"could not load\")" >&2
exit 1
