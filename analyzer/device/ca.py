"""The mitmproxy CA certificate as Android wants it: PEM in a file named by its subject hash.

Android's system trust store (``/system/etc/security/cacerts``, and from Android 14 the
``com.android.conscrypt`` APEX) names each certificate ``<hash>.0``, where ``<hash>`` is
OpenSSL's *old* subject hash (``openssl x509 -subject_hash_old``): the first four bytes of the
MD5 of the DER-encoded subject name, read as a little-endian integer, in 8 hex digits
(OpenSSL ``X509_NAME_hash_old``; Android ``TrustedCertificateStore``).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from analyzer.errors import LeakmapError

CA_FILE = "mitmproxy-ca-cert.pem"


def mitmproxy_confdir(extra_args: list[str] | tuple[str, ...] = ()) -> Path:
    """mitmproxy's confdir: ``--set confdir=...`` among the extra arguments, else ~/.mitmproxy."""
    for index, arg in enumerate(extra_args):
        value = arg if arg.startswith("confdir=") else ""
        if arg == "--set" and index + 1 < len(extra_args):
            value = extra_args[index + 1]
        if value.startswith("confdir="):
            return Path(os.path.expanduser(value.split("=", 1)[1]))
    return Path.home() / ".mitmproxy"


def ensure_ca(confdir: Path) -> bytes:
    """The CA certificate (PEM bytes) mitmproxy will use, created as mitmproxy does if missing."""
    path = confdir / CA_FILE
    if not path.exists():
        from mitmproxy.certs import CertStore

        CertStore.from_store(confdir, "mitmproxy", 2048)
    return read_ca(path)


def read_ca(path: Path) -> bytes:
    """A PEM certificate from ``path``; LeakmapError if it is missing or not a certificate."""
    try:
        pem = path.read_bytes()
    except OSError as error:
        raise LeakmapError(f"cannot read the CA certificate {path}: {error.strerror}") from None
    subject_hash_old(pem)  # validates
    return pem


def subject_hash_old(pem: bytes) -> str:
    """OpenSSL's old subject hash of a PEM certificate, as 8 lower-case hex digits."""
    from cryptography import x509

    try:
        certificate = x509.load_pem_x509_certificate(pem)
    except ValueError as error:
        raise LeakmapError(f"not a PEM certificate: {error}") from None
    digest = hashlib.md5(certificate.subject.public_bytes(), usedforsecurity=False).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"
