"""PostgreSQL TLS: NAUTOBOT_DB_SSLMODE / NAUTOBOT_DB_SSLNEGOTIATION against the real Nautobot settings loader."""

import importlib.util
import os

import psycopg2
import pytest

from conftest import CONFIG, mtls_env


def test_should_apply_no_ssl_options_when_sslmode_is_unset(load):
    result = load({})
    assert result["settings"]["db_options"] == {}


def test_should_apply_no_ssl_options_when_sslmode_is_empty(load):
    result = load({"NAUTOBOT_DB_SSLMODE": "  "})
    assert result["settings"]["db_options"] == {}


def test_should_set_sslmode_only_when_sslmode_is_require(load):
    result = load({"NAUTOBOT_DB_SSLMODE": "require"})
    assert result["settings"]["db_options"] == {"sslmode": "require"}


@pytest.mark.parametrize("mode", ["verify-ca", "verify-full"])
def test_should_present_client_certificate_when_sslmode_verifies(load, pki, mode):
    result = load(
        {
            "NAUTOBOT_DB_SSLMODE": mode,
            "NAUTOBOT_DB_SSLCERT": str(pki.client_cert),
            "NAUTOBOT_DB_SSLKEY": str(pki.client_key),
            "NAUTOBOT_DB_SSLROOTCERT": str(pki.ca),
        }
    )
    assert result["settings"]["db_options"] == {
        "sslmode": mode,
        "sslcert": str(pki.client_cert),
        "sslkey": str(pki.client_key),
        "sslrootcert": str(pki.ca),
    }
    # Nautobot mirrors the default connection for job logs: it must carry the same client certificate.
    assert result["settings"]["job_logs_options"] == result["settings"]["db_options"]


def test_should_default_cert_paths_to_mtls_dir_when_path_vars_are_unset(load, pki):
    result = load({"NAUTOBOT_DB_SSLMODE": "verify-ca", "NAUTOBOT_MTLS_DIR": str(pki.dir)})
    assert result["settings"]["db_options"] == {
        "sslmode": "verify-ca",
        "sslcert": str(pki.dir / "tls.crt"),
        "sslkey": str(pki.dir / "tls.key"),
        "sslrootcert": str(pki.dir / "ca.crt"),
    }


def test_should_raise_seed_message_when_default_client_cert_is_missing(load):
    result = load({"NAUTOBOT_DB_SSLMODE": "verify-ca"})
    assert result["error"] == "FileNotFoundError"
    assert result["message"] == (
        "SSL certificate file required by NAUTOBOT_DB_SSLCERT not found: /etc/nautobot/mtls/tls.crt"
    )


@pytest.mark.parametrize(
    ("missing", "variable"),
    [("tls.key", "NAUTOBOT_DB_SSLKEY"), ("ca.crt", "NAUTOBOT_DB_SSLROOTCERT")],
)
def test_should_name_the_variable_when_a_cert_file_is_missing(load, pki, tmp_path, missing, variable):
    env = {
        "NAUTOBOT_DB_SSLMODE": "verify-full",
        "NAUTOBOT_DB_SSLCERT": str(pki.client_cert),
        "NAUTOBOT_DB_SSLKEY": str(pki.client_key),
        "NAUTOBOT_DB_SSLROOTCERT": str(pki.ca),
    }
    env[variable] = str(tmp_path / missing)
    result = load(env)
    assert result["error"] == "FileNotFoundError"
    assert result["message"] == f"SSL certificate file required by {variable} not found: {tmp_path / missing}"


@pytest.mark.parametrize("mode", ["disable", "prefer", "allow", "VERIFY-CA", "verify_ca"])
def test_should_list_valid_modes_when_sslmode_is_unknown(load, mode):
    result = load({"NAUTOBOT_DB_SSLMODE": mode})
    assert result["error"] == "ImproperlyConfigured"
    assert f"NAUTOBOT_DB_SSLMODE={mode!r} is not supported" in result["message"]
    assert "verify-ca, verify-full, require" in result["message"]


def test_should_pass_sslnegotiation_direct_when_requested_with_verify_ca(load, pki):
    result = load(
        {
            "NAUTOBOT_DB_SSLMODE": "verify-ca",
            "NAUTOBOT_DB_SSLNEGOTIATION": "direct",
            "NAUTOBOT_MTLS_DIR": str(pki.dir),
        }
    )
    assert result["settings"]["db_options"]["sslnegotiation"] == "direct"


def test_should_pass_sslnegotiation_direct_when_requested_with_require(load):
    result = load({"NAUTOBOT_DB_SSLMODE": "require", "NAUTOBOT_DB_SSLNEGOTIATION": "direct"})
    assert result["settings"]["db_options"] == {"sslmode": "require", "sslnegotiation": "direct"}


@pytest.mark.parametrize("mode", [None, ""])
def test_should_refuse_direct_negotiation_when_sslmode_is_weaker_than_require(load, mode):
    env = {"NAUTOBOT_DB_SSLNEGOTIATION": "direct"}
    if mode is not None:
        env["NAUTOBOT_DB_SSLMODE"] = mode
    result = load(env)
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"].startswith(
        "NAUTOBOT_DB_SSLNEGOTIATION=direct needs NAUTOBOT_DB_SSLMODE set to require, verify-ca or verify-full"
    )


def test_should_refuse_unknown_negotiation_when_value_is_not_direct_or_postgres(load):
    result = load({"NAUTOBOT_DB_SSLMODE": "require", "NAUTOBOT_DB_SSLNEGOTIATION": "tls"})
    assert result["error"] == "ImproperlyConfigured"
    assert "NAUTOBOT_DB_SSLNEGOTIATION='tls' is not supported: use one of direct, postgres" in result["message"]


def test_should_pass_postgres_negotiation_when_libpq_knows_the_option(load):
    result = load({"NAUTOBOT_DB_SSLMODE": "require", "NAUTOBOT_DB_SSLNEGOTIATION": "postgres"})
    assert result["settings"]["db_options"] == {"sslmode": "require", "sslnegotiation": "postgres"}


def _config_module(monkeypatch, tmp_path):
    """Executes the config file in-process (no DB TLS env) to reach its helper functions."""
    monkeypatch.setenv("NAUTOBOT_ROOT", str(tmp_path))
    for name in list(os.environ):
        if name.startswith(("NAUTOBOT_DB_SSL", "NAUTOBOT_REDIS_SSL", "NAUTOBOT_EXTRA_PLUGINS")):
            monkeypatch.delenv(name)
    spec = importlib.util.spec_from_file_location("understack_nautobot_config_under_test", CONFIG)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_should_refuse_direct_negotiation_when_libpq_is_older_than_17(monkeypatch, tmp_path):
    module = _config_module(monkeypatch, tmp_path)
    with pytest.raises(module.ImproperlyConfigured) as raised:
        module.check_direct_tls_support("psycopg2", 160004)
    assert str(raised.value).startswith(
        "NAUTOBOT_DB_SSLNEGOTIATION=direct needs libpq >= 17, but psycopg2 uses libpq 16.4"
    )
    module.check_direct_tls_support("psycopg2", 170000)  # 17.0 is enough


def test_should_report_the_bundled_libpq_when_asked(monkeypatch, tmp_path):
    module = _config_module(monkeypatch, tmp_path)
    driver, version = module.libpq_version()
    assert driver in ("psycopg", "psycopg2")
    # The pinned psycopg2-binary bundles libpq 17: direct TLS must be possible with the project's own venv.
    assert version >= 170000, f"{driver} bundles libpq {module.format_libpq_version(version)}"


def test_should_be_accepted_by_real_libpq_when_options_include_sslnegotiation(pki):
    """libpq itself parses the options: an unknown keyword would fail with 'invalid connection option'."""
    with pytest.raises(psycopg2.OperationalError) as raised:
        psycopg2.connect(
            host="127.0.0.1",
            port=1,  # nothing listens: the connection attempt fails after the options were accepted
            dbname="app",
            user="app",
            sslmode="verify-ca",
            sslnegotiation="direct",
            sslcert=str(pki.client_cert),
            sslkey=str(pki.client_key),
            sslrootcert=str(pki.ca),
            connect_timeout=2,
        )
    assert "invalid connection option" not in str(raised.value)
    assert "sslnegotiation" not in str(raised.value)


def _old_libpq(tmp_path):
    """A `psycopg` whose libpq reports 16.4, first on PYTHONPATH: the config prefers psycopg 3 when importable, so
    loading the settings sees an image whose driver bundles an older libpq (the venv's real one is 17)."""
    package = tmp_path / "old-libpq" / "psycopg"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("from . import pq\n")
    (package / "pq.py").write_text("def version():\n    return 160004\n")
    return package.parent


def test_should_refuse_to_start_when_direct_negotiation_meets_libpq_16(load, pki, tmp_path):
    result = load(mtls_env(pki), pythonpath=[_old_libpq(tmp_path)])
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"].startswith(
        "NAUTOBOT_DB_SSLNEGOTIATION=direct needs libpq >= 17, but psycopg uses libpq 16.4"
    )


def test_should_leave_out_sslnegotiation_when_postgres_negotiation_meets_libpq_16(load, pki, tmp_path):
    # libpq 16 does not know the option at all; the classic handshake is its only behaviour.
    env = {**mtls_env(pki), "NAUTOBOT_DB_SSLNEGOTIATION": "postgres"}
    result = load(env, pythonpath=[_old_libpq(tmp_path)])
    assert "error" not in result, result.get("traceback")
    assert "sslnegotiation" not in result["settings"]["db_options"]
    assert result["settings"]["db_options"]["sslmode"] == "verify-ca"
