"""Fixtures for the nautobot_config.py tests: real certificates, a clean environment, a settings loader."""

import datetime
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CHART = Path(__file__).resolve().parents[2]
CONFIG = CHART / "files" / "nautobot_config.py"
PROBE = Path(__file__).resolve().parent / "probe.py"


def _name(cn):
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(subject_cn, issuer_cert, issuer_key, *, ca=False, server_names=(), client=False):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(subject_cn))
        .issuer_name(issuer_cert.subject if issuer_cert is not None else _name(subject_cn))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if server_names:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(n) for n in server_names]), critical=False
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
    if client:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
    cert = builder.sign(issuer_key if issuer_key is not None else key, hashes.SHA256())
    return cert, key


def _write(directory, name, cert=None, key=None):
    path = directory / name
    if cert is not None:
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    else:
        path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
    path.chmod(0o400 if key is not None else 0o444)
    return path


class Pki:
    """A CA, a server certificate for localhost and a client certificate (CN app), as PEM files on disk."""

    def __init__(self, directory: Path):
        directory.mkdir(parents=True, exist_ok=True)
        self.dir = directory
        ca, ca_key = _issue("understack-mtls-ca", None, None, ca=True)
        server, server_key = _issue("localhost", ca, ca_key, server_names=("localhost",))
        client, client_key = _issue("app", ca, ca_key, client=True)
        self.ca = _write(directory, "ca.crt", cert=ca)
        self.server_cert = _write(directory, "server.crt", cert=server)
        self.server_key = _write(directory, "server.key", key=server_key)
        self.client_cert = _write(directory, "tls.crt", cert=client)
        self.client_key = _write(directory, "tls.key", key=client_key)


@pytest.fixture(scope="session")
def pki(tmp_path_factory):
    return Pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="session")
def other_pki(tmp_path_factory):
    """A second, unrelated CA: its server certificate must be rejected by clients trusting the first CA."""
    return Pki(tmp_path_factory.mktemp("other-pki"))


@pytest.fixture
def load(tmp_path):
    """Loads files/nautobot_config.py with exactly the given environment (plus HOME/NAUTOBOT_ROOT in tmp)."""

    def _load(env=None, *, check=None, pythonpath=None, config=CONFIG):
        clean = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "NAUTOBOT_ROOT": str(tmp_path / "nautobot-root"),
            "NAUTOBOT_SECRET_KEY": "test-only-not-a-secret-" + "x" * 40,
            "NAUTOBOT_INSTALLATION_METRICS_ENABLED": "false",
        }
        if pythonpath:
            clean["PYTHONPATH"] = os.pathsep.join(str(p) for p in pythonpath)
        clean.update(env or {})
        args = [sys.executable, str(PROBE), str(config)]
        if check:
            args += ["--setup", check]
        completed = subprocess.run(args, env=clean, capture_output=True, text=True, timeout=120, check=False)
        lines = [line for line in completed.stdout.splitlines() if line.startswith("{")]
        if not lines:
            raise AssertionError(f"probe printed no JSON (exit {completed.returncode}):\n{completed.stderr[-4000:]}")
        result = json.loads(lines[-1])
        result["stderr"] = completed.stderr
        return result

    return _load


def mtls_env(pki):
    """What the chart sets when mtls.enabled (paths pointing at the test PKI instead of /etc/nautobot/mtls)."""
    return {
        "NAUTOBOT_DB_SSLMODE": "verify-ca",
        "NAUTOBOT_DB_SSLNEGOTIATION": "direct",
        "NAUTOBOT_DB_SSLCERT": str(pki.client_cert),
        "NAUTOBOT_DB_SSLKEY": str(pki.client_key),
        "NAUTOBOT_DB_SSLROOTCERT": str(pki.ca),
        "NAUTOBOT_REDIS_SSL": "true",
        "NAUTOBOT_REDIS_SSL_CERT_REQS": "required",
        "NAUTOBOT_REDIS_SSL_CA_CERTS": str(pki.ca),
        "NAUTOBOT_REDIS_SSL_CERTFILE": str(pki.client_cert),
        "NAUTOBOT_REDIS_SSL_KEYFILE": str(pki.client_key),
    }
