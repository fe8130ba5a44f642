"""The TLS context of ci-eval's downloads: one per process, made at the first handshake.

``ssl.create_default_context()`` loads the system's CA certificates, ~30 ms. A download
whose host cannot even be reached (offline, a pin whose fetch fails and is warned about)
must not pay that, and several downloads in one process share one context. So urllib and
http.client are given `deferred_context`, which hands every handshake to `default_context`,
made when the first TCP connection is up and kept for the process.
"""

from __future__ import annotations

import socket
import ssl
import threading

__all__ = ["default_context", "deferred_context"]

_lock = threading.Lock()
_default: ssl.SSLContext | None = None


def default_context() -> ssl.SSLContext:
    """The process's one ``ssl.create_default_context()``, made on the first call."""
    global _default
    with _lock:  # two downloads in two threads still make one
        if _default is None:
            _default = ssl.create_default_context()
        return _default


class _Deferred(ssl.SSLContext):
    """A context whose TLS connections are made by `default_context`.

    Only `wrap_socket` is delegated: it is all http.client does with a context besides
    reading ``verify_mode`` and ``check_hostname``, which a client context has as the
    default one does (certificates required, host name checked). Anything else would use
    this context itself, which trusts no certificate at all: a failure, never a
    connection that is not verified.
    """

    def wrap_socket(
        self,
        sock: socket.socket,
        server_side: bool = False,
        do_handshake_on_connect: bool = True,
        suppress_ragged_eofs: bool = True,
        server_hostname: str | bytes | None = None,
        session: ssl.SSLSession | None = None,
    ) -> ssl.SSLSocket:
        return default_context().wrap_socket(
            sock,
            server_side=server_side,
            do_handshake_on_connect=do_handshake_on_connect,
            suppress_ragged_eofs=suppress_ragged_eofs,
            server_hostname=server_hostname,
            session=session,
        )


_deferred: _Deferred | None = None


def deferred_context() -> ssl.SSLContext:
    """The context to give urllib and http.client: cheap to make (no certificates are
    loaded), the same object for the whole process."""
    global _deferred
    with _lock:
        if _deferred is None:
            _deferred = _Deferred(ssl.PROTOCOL_TLS_CLIENT)
        return _deferred
