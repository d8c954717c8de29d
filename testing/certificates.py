"""Throw-away TLS certificates for tests: a CA, a server certificate and a client certificate,
made with the ``openssl`` command in a temporary folder.

    from pypika_store.testing import PikaServer

    with PikaServer(tls=True) as server:          # makes its own Certificates
        server.tls_client().ping()               # redis-py over TLS, with the client certificate

Several servers that must trust each other (a master and its slaves over TLS) share one
:class:`Certificates`: ``PikaServer(tls=certificates)``. The keys are EC P-256 (fast to make)
and the certificates are valid for two days, for ``localhost``, ``127.0.0.1`` and ``::1``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

#: The password of :attr:`Certificates.encrypted_server_key` (tests of ``tls-key-file-pass``).
KEY_PASSWORD = "pypika-key-pass"
_DAYS = "2"
_SERVER_NAMES = "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth,clientAuth\n"
_CLIENT_NAMES = "extendedKeyUsage=clientAuth\n"


class Certificates:
    """A CA and the certificates it signed, as files in :attr:`folder` (removed by :meth:`remove`)."""

    def __init__(self, folder: str | None = None) -> None:
        if shutil.which("openssl") is None:
            raise RuntimeError("making test certificates needs the openssl command (apt-get install openssl)")
        self._own_folder = folder is None
        self.folder = folder or tempfile.mkdtemp(prefix="pypika-tls-")
        os.makedirs(self.folder, exist_ok=True)
        self.ca_cert, self.ca_key = self.path("ca.crt"), self.path("ca.key")
        self._openssl("req", "-x509", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                      "-keyout", self.ca_key, "-out", self.ca_cert, "-days", _DAYS, "-subj", "/CN=pypika-store test CA")
        self.server_cert, self.server_key = self.issue("server", "/CN=localhost", _SERVER_NAMES)
        self.client_cert, self.client_key = self.issue("client", "/CN=pypika-store test client", _CLIENT_NAMES)
        self.encrypted_server_key = self.path("server-encrypted.key")
        self._openssl("pkey", "-in", self.server_key, "-aes256", "-passout", f"pass:{KEY_PASSWORD}",
                      "-out", self.encrypted_server_key)

    def path(self, name: str) -> str:
        return os.path.join(self.folder, name)

    def issue(self, name: str, subject: str, extensions: str = _CLIENT_NAMES) -> tuple[str, str]:
        """A new key and a certificate for it signed by this CA: their paths (``name``.crt/.key)."""
        cert, key, request, extension_file = (self.path(f"{name}.{suffix}") for suffix in ("crt", "key", "csr", "ext"))
        with open(extension_file, "w", encoding="ascii") as handle:
            handle.write(extensions)
        self._openssl("req", "-new", "-nodes", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                      "-keyout", key, "-out", request, "-subj", subject)
        self._openssl("x509", "-req", "-in", request, "-CA", self.ca_cert, "-CAkey", self.ca_key,
                      "-CAcreateserial", "-out", cert, "-days", _DAYS, "-extfile", extension_file)
        return cert, key

    def server_settings(self) -> dict[str, str]:
        """The config keys a server needs to serve TLS with these certificates (clients must
        show a certificate of this CA: ``tls-auth-clients yes``, Redis' default)."""
        return {"tls-cert-file": self.server_cert, "tls-key-file": self.server_key,
                "tls-ca-cert-file": self.ca_cert}

    def client_kwargs(self, certificate: bool = True) -> dict[str, object]:
        """redis-py's keyword arguments for a TLS connection trusting this CA, showing the
        client certificate unless ``certificate`` is False."""
        kwargs: dict[str, object] = {"ssl": True, "ssl_ca_certs": self.ca_cert}
        if certificate:
            kwargs.update(ssl_certfile=self.client_cert, ssl_keyfile=self.client_key)
        return kwargs

    def remove(self) -> None:
        if self._own_folder:
            shutil.rmtree(self.folder, ignore_errors=True)

    @staticmethod
    def _openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True)
