"""TLS: the server's SSL contexts, built from the ``tls-*`` options as Redis 7.0 builds them.

Two contexts, made together from one reading of the configuration: the server context every
connection to ``tls-port`` handshakes with, and the client context a slave's link to its master
uses under ``tls-replication yes`` (the certificate shown is ``tls-client-cert-file``, else
``tls-cert-file``; the master's certificate must be signed by the configured CA; host names are
not checked, as in Redis). Building them reads every file again: CONFIG SET of a ``tls-*`` file
option reloads them (Redis' ``applyTlsCfg``), and a configuration that does not build leaves the
contexts in use unchanged and makes CONFIG SET fail with Redis' text, the reason going to the log
with Redis' wording.

``tls-auth-clients`` is read per connection, as Redis does: it is applied to each new
connection's context copy in :meth:`TlsContexts.for_connection`.
"""

from __future__ import annotations

import ctypes
import logging
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pypika_store.config import ConfigError

if TYPE_CHECKING:
    from pypika_store.config import Config

log = logging.getLogger("pypika_store.server")

#: CONFIG SET's texts when a tls-* change does not build, or tls-port cannot be bound (the reason is in the log).
RELOAD_FAILED = "Unable to update TLS configuration. Check server logs."
LISTEN_FAILED = "Unable to listen on this port. Check server logs."

#: The options whose change rebuilds the contexts (Redis 7.0's applyTlsCfg options).
RELOADING_OPTIONS = frozenset((
    "tls-cert-file", "tls-key-file", "tls-key-file-pass", "tls-client-cert-file", "tls-client-key-file",
    "tls-client-key-file-pass", "tls-dh-params-file", "tls-ca-cert-file", "tls-ca-cert-dir", "tls-protocols",
    "tls-ciphers", "tls-ciphersuites", "tls-prefer-server-ciphers",
))

_BAD_PROTOCOLS = "Invalid tls-protocols specified. Use a combination of 'TLSv1', 'TLSv1.1', 'TLSv1.2' and 'TLSv1.3'."
_PROTOCOLS = {"tlsv1": ssl.TLSVersion.TLSv1, "tlsv1.1": ssl.TLSVersion.TLSv1_1,
              "tlsv1.2": ssl.TLSVersion.TLSv1_2, "tlsv1.3": ssl.TLSVersion.TLSv1_3}
_EXCLUDING_OPTION = {ssl.TLSVersion.TLSv1: ssl.OP_NO_TLSv1, ssl.TLSVersion.TLSv1_1: ssl.OP_NO_TLSv1_1,
                     ssl.TLSVersion.TLSv1_2: ssl.OP_NO_TLSv1_2, ssl.TLSVersion.TLSv1_3: ssl.OP_NO_TLSv1_3}
_DEFAULT_PROTOCOLS = "TLSv1.2 TLSv1.3"
_AUTH_MODES = {"yes": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL, "no": ssl.CERT_NONE}


class TlsConfigError(ConfigError):
    """The tls-* options do not make a usable context; the text is Redis' log line."""


class TlsSettingError(ConfigError):
    """A CONFIG SET of tls-* options cannot be applied; the text is Redis' CONFIG SET reason."""


def tls_enabled(config: "Config") -> bool:
    """Whether the server uses TLS at all (Redis builds its contexts only then)."""
    return bool(config.get_int("tls-port") or config["tls-replication"])


@dataclass(frozen=True)
class TlsContexts:
    """The server's and the replication client's contexts, built together."""

    server: ssl.SSLContext
    client: ssl.SSLContext

    @classmethod
    def build(cls, config: "Config") -> "TlsContexts":
        """Both contexts from the current options; raises :class:`TlsConfigError`."""
        cert, key = config.get_str("tls-cert-file"), config.get_str("tls-key-file")
        if not cert:
            raise TlsConfigError("No tls-cert-file configured!")
        if not key:
            raise TlsConfigError("No tls-key-file configured!")
        ca_file, ca_dir = config.get_str("tls-ca-cert-file"), config.get_str("tls-ca-cert-dir")
        if not ca_file and not ca_dir and (config.get_str("tls-auth-clients") != "no" or config["tls-replication"]):
            raise TlsConfigError("Either tls-ca-cert-file or tls-ca-cert-dir must be specified when tls-cluster, "
                                 "tls-replication or tls-auth-clients are enabled!")
        server = _context(ssl.PROTOCOL_TLS_SERVER, config, cert, key, config.get_str("tls-key-file-pass"))
        if config["tls-prefer-server-ciphers"]:
            server.options |= ssl.OP_CIPHER_SERVER_PREFERENCE
        dh_params = config.get_str("tls-dh-params-file")
        if dh_params:
            try:
                server.load_dh_params(dh_params)
            except (OSError, ssl.SSLError) as exc:
                raise TlsConfigError(f"Failed to load {dh_params}: {_reason(exc)}") from None
        client_cert = config.get_str("tls-client-cert-file")
        if client_cert:
            client = _context(ssl.PROTOCOL_TLS_CLIENT, config, client_cert, config.get_str("tls-client-key-file"),
                              config.get_str("tls-client-key-file-pass"))
        else:
            client = _context(ssl.PROTOCOL_TLS_CLIENT, config, cert, key, config.get_str("tls-key-file-pass"))
        client.check_hostname = False  # Redis verifies the chain only
        client.verify_mode = ssl.CERT_REQUIRED
        return cls(server, client)

    def for_connection(self, config: "Config") -> ssl.SSLContext:
        """The server context with this moment's ``tls-auth-clients`` applied."""
        self.server.verify_mode = _AUTH_MODES[config.get_str("tls-auth-clients")]
        return self.server


def _context(purpose: ssl._SSLMethod, config: "Config", cert: str, key: str, password: str) -> ssl.SSLContext:
    """A context showing ``cert``, trusting the configured CA, with the protocol and cipher options."""
    context = ssl.SSLContext(purpose)
    try:
        context.load_cert_chain(cert, key or None, password=password or None)
    except (OSError, ssl.SSLError) as exc:
        failed = "certificate" if _failed_on_certificate(cert) else "private key"
        raise TlsConfigError(f"Failed to load {failed}: {cert if failed == 'certificate' else key}: "
                             f"{_reason(exc)}") from None
    ca_file, ca_dir = config.get_str("tls-ca-cert-file"), config.get_str("tls-ca-cert-dir")
    if ca_file or ca_dir:
        try:
            context.load_verify_locations(ca_file or None, ca_dir or None)
        except (OSError, ssl.SSLError) as exc:
            raise TlsConfigError(f"Failed to configure CA certificate(s) file/directory: {_reason(exc)}") from None
    _set_protocols(context, config.get_str("tls-protocols") or _DEFAULT_PROTOCOLS)
    ciphers = config.get_str("tls-ciphers")
    if ciphers:
        try:
            context.set_ciphers(ciphers)
        except ssl.SSLError:
            raise TlsConfigError(f"Failed to configure ciphers: {ciphers}") from None
    suites = config.get_str("tls-ciphersuites")
    if suites:
        set_ciphersuites(context, suites)
    return context


def _failed_on_certificate(cert: str) -> bool:
    """Whether ``cert`` itself is what does not load (else it is the key, or the pair)."""
    try:
        with open(cert, "rb") as handle:
            return b"-----BEGIN CERTIFICATE-----" not in handle.read()
    except OSError:
        return True


def _reason(exc: Exception) -> str:
    if isinstance(exc, ssl.SSLError):
        return exc.reason or str(exc)
    if isinstance(exc, OSError):
        return exc.strerror or str(exc)
    return str(exc)


def _set_protocols(context: ssl.SSLContext, text: str) -> None:
    """``tls-protocols``: the versions named, any subset (a gap is excluded by its option)."""
    versions = set()
    for word in text.split():
        if word.lower() not in _PROTOCOLS:
            raise TlsConfigError(_BAD_PROTOCOLS)
        versions.add(_PROTOCOLS[word.lower()])
    if not versions:
        raise TlsConfigError(_BAD_PROTOCOLS)
    context.minimum_version, context.maximum_version = min(versions), max(versions)
    for version, option in _EXCLUDING_OPTION.items():
        if min(versions) < version < max(versions) and version not in versions:
            context.options |= option


def set_ciphersuites(context: ssl.SSLContext, suites: str) -> None:
    """``tls-ciphersuites`` (TLS 1.3's suites), which Python's ssl module cannot set: OpenSSL's
    ``SSL_CTX_set_ciphersuites`` is called on the context's ``SSL_CTX`` (the first field of
    CPython's context object, after the object header), through the libssl the ``_ssl``
    module is linked with. The suites the context then lists are checked against the request."""
    libssl = ctypes.CDLL(ssl._ssl.__file__)  # type: ignore[attr-defined]  # its dependencies' symbols too
    setter = libssl.SSL_CTX_set_ciphersuites
    setter.argtypes, setter.restype = (ctypes.c_void_p, ctypes.c_char_p), ctypes.c_int
    handle = ctypes.c_void_p.from_address(id(context) + object.__basicsize__).value
    if not setter(handle, suites.encode()):
        raise TlsConfigError(f"Failed to configure ciphersuites: {suites}")
    listed = {cipher["name"] for cipher in context.get_ciphers() if cipher["protocol"] == "TLSv1.3"}
    if not listed <= set(suites.split(":")):
        raise TlsConfigError(f"Failed to configure ciphersuites: {suites}")
