"""What the gateway sees when a worker connects to PostgreSQL with the chart's settings.

A small TLS server stands in for the Envoy passthrough listener + PostgreSQL's TLS layer: it records whether the
first byte is a TLS handshake (direct TLS, routable by SNI) or PostgreSQL's plaintext SSLRequest, the SNI name, the
ALPN protocol, the client certificate, and the startup packet that follows; then it answers with a PostgreSQL
ErrorResponse. The client side is the real path: nautobot_config.py -> Django's get_connection_params -> psycopg2 ->
libpq 17.
"""

import socket
import ssl
import struct
import threading

import pytest

SSL_REQUEST = struct.pack("!II", 8, 80877103)


class FakeGateway:
    def __init__(self, pki):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.seen = {}
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(pki.server_cert, pki.server_key)
        context.load_verify_locations(pki.ca)
        context.verify_mode = ssl.CERT_REQUIRED
        context.set_alpn_protocols(["postgresql"])
        context.sni_callback = lambda sock, name, ctx: self.seen.__setitem__("sni", name)
        self.context = context
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.listener.settimeout(30)
        try:
            raw, _ = self.listener.accept()
        except OSError:
            return
        with raw:
            raw.settimeout(10)
            first = raw.recv(8, socket.MSG_PEEK)
            self.seen["first_bytes"] = first
            if first == SSL_REQUEST:
                self.seen["mode"] = "sslrequest"
                return  # the gateway cannot route a plaintext SSLRequest by SNI: drop it
            self.seen["mode"] = "direct" if first[:1] == b"\x16" else "plaintext"
            if self.seen["mode"] != "direct":
                return
            try:
                tls = self.context.wrap_socket(raw, server_side=True)
            except ssl.SSLError as error:
                self.seen["handshake_error"] = str(error)
                return
            with tls:
                self.seen["alpn"] = tls.selected_alpn_protocol()
                peer = tls.getpeercert()
                self.seen["client_cn"] = dict(x[0] for x in peer["subject"]).get("commonName")
                (length,) = struct.unpack("!I", tls.recv(4))
                body = b""
                while len(body) < length - 4:
                    body += tls.recv(length - 4 - len(body))
                parts = body[4:].split(b"\0")
                self.seen["startup"] = {
                    parts[i].decode(): parts[i + 1].decode() for i in range(0, len(parts) - 1, 2) if parts[i]
                }
                message = b"SFATAL\0C28000\0Mfake gateway: startup packet received\0\0"
                tls.sendall(b"E" + struct.pack("!I", len(message) + 4) + message)

    def close(self):
        self.listener.close()
        self.thread.join(timeout=10)


@pytest.fixture
def gateway(pki):
    server = FakeGateway(pki)
    yield server
    server.close()


def _env(pki, gateway, **overrides):
    env = {
        "NAUTOBOT_DB_HOST": "localhost",
        "NAUTOBOT_DB_PORT": str(gateway.port),
        "NAUTOBOT_DB_NAME": "app",
        "NAUTOBOT_DB_USER": "app",
        "NAUTOBOT_DB_PASSWORD": "db-test-password",
        "NAUTOBOT_DB_SSLMODE": "verify-ca",
        "NAUTOBOT_DB_SSLNEGOTIATION": "direct",
        "NAUTOBOT_MTLS_DIR": str(pki.dir),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


def test_should_start_tls_directly_with_sni_alpn_and_client_cert_when_negotiation_is_direct(load, pki, gateway):
    result = load(_env(pki, gateway), check="db")
    assert "error" not in result, result.get("traceback")
    assert "fake gateway: startup packet received" in result["check"]["error"]
    seen = gateway.seen
    assert seen["mode"] == "direct", seen  # first byte 0x16: a TLS ClientHello the gateway can route by SNI
    assert seen["sni"] == "localhost"  # = NAUTOBOT_DB_HOST, what the passthrough route matches
    assert seen["alpn"] == "postgresql"
    assert seen["client_cn"] == "app"  # pg_hba cert maps this CN to the database user
    assert seen["startup"]["user"] == "app"
    assert seen["startup"]["database"] == "app"


def test_should_send_a_plaintext_sslrequest_the_gateway_cannot_route_when_negotiation_is_unset(load, pki, gateway):
    result = load(_env(pki, gateway, NAUTOBOT_DB_SSLNEGOTIATION=None), check="db")
    assert "error" not in result, result.get("traceback")
    assert result["check"]["connected"] is False
    assert gateway.seen["mode"] == "sslrequest"


def test_should_refuse_the_server_when_its_certificate_is_from_another_ca(load, pki, other_pki, gateway):
    env = _env(pki, gateway, NAUTOBOT_DB_SSLROOTCERT=str(other_pki.ca))
    result = load(env, check="db")
    assert result["check"]["connected"] is False
    # Same CA name, different key: OpenSSL reports a signature failure on the chain (an SSL error either way).
    assert "SSL error" in result["check"]["error"], result["check"]["error"]
    assert "startup" not in gateway.seen  # nothing was sent to an untrusted server
