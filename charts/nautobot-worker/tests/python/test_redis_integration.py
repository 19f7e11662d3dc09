"""Real Redis 7 with TLS client authentication: the cache and the Celery broker must connect, verify the server and
present the client certificate; a server certificate from another CA and a missing client cert must both fail."""

import shutil
import socket
import subprocess
import time

import pytest

from conftest import mtls_env


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class TlsRedis:
    """redis-server with TLS; auth_clients=False is a server that does not ask for a client certificate."""

    def __init__(self, pki, workdir, *, auth_clients=True):
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed: run scripts/setup.sh (apt-get install redis-server)")
        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port", "0",
                "--tls-port", str(self.port),
                "--bind", "127.0.0.1",
                "--tls-cert-file", str(pki.server_cert),
                "--tls-key-file", str(pki.server_key),
                "--tls-ca-cert-file", str(pki.ca),
                "--tls-auth-clients", "yes" if auth_clients else "no",
                "--requirepass", "redis-test-password",
                "--save", "",
                "--appendonly", "no",
                "--dir", str(workdir),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"redis-server exited: {self.process.stdout.read()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        pytest.fail(f"redis-server did not listen on 127.0.0.1:{self.port} within 20 s")

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def redis_tls(pki, tmp_path_factory):
    server = TlsRedis(pki, tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


def _env(pki, redis_tls, **overrides):
    env = {k: v for k, v in mtls_env(pki).items() if k.startswith("NAUTOBOT_REDIS")}
    env.update(
        {
            "NAUTOBOT_REDIS_HOST": "localhost",
            "NAUTOBOT_REDIS_PORT": str(redis_tls.port),
            "NAUTOBOT_REDIS_PASSWORD": "redis-test-password",
        }
    )
    env.update(overrides)
    return env


def test_should_round_trip_the_cache_when_redis_requires_client_certs(load, pki, redis_tls):
    result = load(_env(pki, redis_tls), check="cache")
    assert "error" not in result, result.get("traceback")
    assert result["check"] == "ok"


def test_should_publish_and_consume_via_broker_when_redis_requires_client_certs(load, pki, redis_tls):
    result = load(_env(pki, redis_tls), check="broker")
    assert "error" not in result, result.get("traceback")
    assert result["check"]["body"] == {"hello": "site"}
    assert result["check"]["ssl_cert_reqs"] == 2  # ssl.CERT_REQUIRED reached the redis connection


def test_should_reject_server_when_its_cert_is_from_another_ca(load, pki, other_pki, redis_tls):
    # Trust only an unrelated CA: with CERT_REQUIRED the handshake must fail (kombu's silent CERT_NONE would pass).
    env = _env(pki, redis_tls, NAUTOBOT_REDIS_SSL_CA_CERTS=str(other_pki.ca))
    result = load(env, check="cache")
    assert result.get("error"), "connected although the server certificate is not signed by the trusted CA"
    assert "certificate verify failed" in result["message"].lower() or "CERTIFICATE_VERIFY_FAILED" in result["traceback"]
    result = load(env, check="broker")
    assert result.get("error"), "the broker connected although the server certificate is untrusted"


def test_should_be_rejected_by_redis_when_client_cert_is_not_presented(load, pki, other_pki, redis_tls):
    # A client certificate from another CA: Redis (tls-auth-clients yes) must refuse the handshake.
    env = _env(
        pki,
        redis_tls,
        NAUTOBOT_REDIS_SSL_CERTFILE=str(other_pki.client_cert),
        NAUTOBOT_REDIS_SSL_KEYFILE=str(other_pki.client_key),
    )
    result = load(env, check="cache")
    assert result.get("error"), "Redis accepted a client certificate from an untrusted CA"


@pytest.fixture(scope="module")
def redis_server_tls(pki, tmp_path_factory):
    server = TlsRedis(pki, tmp_path_factory.mktemp("redis-server-tls"), auth_clients=False)
    yield server
    server.stop()


def _server_tls_env(redis_server_tls, tmp_path, **overrides):
    """NAUTOBOT_REDIS_SSL=true and nothing else: no NAUTOBOT_REDIS_SSL_* variable and no CA at the mTLS mount."""
    env = {
        "NAUTOBOT_REDIS_HOST": "localhost",
        "NAUTOBOT_REDIS_PORT": str(redis_server_tls.port),
        "NAUTOBOT_REDIS_PASSWORD": "redis-test-password",
        "NAUTOBOT_REDIS_SSL": "true",
        "NAUTOBOT_MTLS_DIR": str(tmp_path / "not-mounted"),
    }
    env.update(overrides)
    return env


@pytest.mark.parametrize("check", ["broker", "cache"])
def test_should_refuse_untrusted_server_when_redis_ssl_is_on_without_a_private_ca(load, redis_server_tls, tmp_path, check):
    # The server's certificate is signed by the test CA, which the system store does not hold. kombu's silent
    # CERT_NONE downgrade would connect; the config's CERT_REQUIRED must make the handshake fail.
    result = load(_server_tls_env(redis_server_tls, tmp_path), check=check)
    assert result.get("error"), f"the {check} connected to a server whose certificate nothing trusted: {result}"
    assert "CERTIFICATE_VERIFY_FAILED" in result["traceback"] or "certificate verify failed" in result["message"]


def test_should_reach_server_with_verification_when_the_store_trusts_its_ca(load, pki, redis_server_tls, tmp_path):
    # The same settings, with the CA in the default store (SSL_CERT_FILE, as the chart's combined bundle sets it).
    result = load(_server_tls_env(redis_server_tls, tmp_path, SSL_CERT_FILE=str(pki.ca)), check="broker")
    assert "error" not in result, result.get("traceback")
    assert result["check"]["body"] == {"hello": "site"}
    assert result["check"]["ssl_cert_reqs"] == 2  # ssl.CERT_REQUIRED reached the redis connection
