"""Certificates as cert-manager's CA Issuer makes them, for the real servers of the tests.

A self-signed CA (the stack's `dictamesh-ca` Certificate), and a server leaf it signs with the names,
usages and key size of the program's Certificate (components/runtime/kubernetes/certificates.py),
written as a Secret's files: tls.crt, tls.key, ca.crt. Made with the openssl command.
"""

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

OPENSSL = shutil.which("openssl")


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path
    ca: Path


def _openssl(*args: str) -> None:
    assert OPENSSL, "openssl is not installed (apt-get install openssl)"
    subprocess.run([OPENSSL, *args], check=True, capture_output=True)


def make_ca(directory: Path, name: str = "dictamesh-test CA") -> tuple[Path, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    cert, key = directory / "ca-own.crt", directory / "ca-own.key"
    _openssl(
        "req", "-x509", "-newkey", "rsa:3072", "-nodes", "-days", "3650", "-subj", f"/CN={name}",
        "-keyout", str(key), "-out", str(cert),
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature",
    )  # fmt: skip
    return cert, key


def issue(ca: tuple[Path, Path], directory: Path, names: Sequence[str], days: int = 90) -> Issued:
    """`names` as certificates.dns_names gives them; 90 days as inTransit.certificateLifetime by default."""
    directory.mkdir(parents=True, exist_ok=True)
    cert, key, request = directory / "tls.crt", directory / "tls.key", directory / "tls.csr"
    _openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-subj", f"/CN={names[0]}", "-keyout", str(key), "-out", str(request)
    )
    extensions = directory / "extensions.cnf"
    extensions.write_text(
        "basicConstraints = critical, CA:FALSE\n"
        "keyUsage = critical, digitalSignature, keyEncipherment\n"
        "extendedKeyUsage = serverAuth\n"
        f"subjectAltName = {', '.join(f'DNS:{name}' for name in names)}\n"
    )
    _openssl(
        "x509", "-req", "-in", str(request), "-CA", str(ca[0]), "-CAkey", str(ca[1]), "-CAcreateserial",
        "-days", str(days), "-extfile", str(extensions), "-out", str(cert),
    )  # fmt: skip
    request.unlink()
    extensions.unlink()
    shutil.copy(ca[0], directory / "ca.crt")
    return Issued(cert=cert, key=key, ca=directory / "ca.crt")


def serial(cert: Path) -> str:
    assert OPENSSL
    out = subprocess.run([OPENSSL, "x509", "-noout", "-serial", "-in", str(cert)], check=True, capture_output=True)
    return out.stdout.decode().strip().split("=", 1)[1].upper()
