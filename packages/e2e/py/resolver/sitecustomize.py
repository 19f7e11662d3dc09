"""Loopback fallback only (no network namespaces): resolves the gateway FQDNs listed in UNDERSTACK_E2E_HOSTS (JSON
{"name": "address"}) for Python's socket module, so redis-py still connects by name and sends the FQDN as SNI.
libpq resolves names in C; the suite gives it PGHOSTADDR instead. Never used when namespaces are available."""

import json
import os
import socket

_hosts = json.loads(os.environ.get("UNDERSTACK_E2E_HOSTS") or "{}")
if _hosts:
    _orig = socket.getaddrinfo

    def _getaddrinfo(host, *args, **kwargs):
        if isinstance(host, bytes):
            host = host.decode()
        return _orig(_hosts.get(host, host), *args, **kwargs)

    socket.getaddrinfo = _getaddrinfo
