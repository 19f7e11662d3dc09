"""Redis mutual TLS: settings for the cache, the Celery broker and a Redis result backend."""

import ssl

import pytest

from conftest import CONFIG, mtls_env

CERT_REQUIRED = int(ssl.CERT_REQUIRED)


def _redis_only(pki):
    return {k: v for k, v in mtls_env(pki).items() if k.startswith("NAUTOBOT_REDIS")}


def test_should_leave_redis_plain_when_nothing_is_mounted_or_set(load):
    result = load({"NAUTOBOT_REDIS_HOST": "redis.example"})
    settings = result["settings"]
    assert settings["cache_location"] == "redis://redis.example:6379/1"
    assert settings["broker_url"] == "redis://redis.example:6379/0"
    assert settings["broker_use_ssl"] is None
    assert "CONNECTION_POOL_KWARGS" not in settings["cache_options"]


def test_should_verify_server_and_present_client_cert_when_explicit_vars_are_set(load, pki):
    result = load({"NAUTOBOT_REDIS_HOST": "redis.example", **_redis_only(pki)})
    settings = result["settings"]
    expected = {
        "ssl_cert_reqs": CERT_REQUIRED,
        "ssl_ca_certs": str(pki.ca),
        "ssl_certfile": str(pki.client_cert),
        "ssl_keyfile": str(pki.client_key),
    }
    assert settings["cache_location"] == "rediss://redis.example:6379/1"
    assert settings["broker_url"] == "rediss://redis.example:6379/0"
    assert settings["cache_options"]["CONNECTION_POOL_KWARGS"] == expected
    assert settings["broker_use_ssl"] == expected
    assert settings["redis_backend_use_ssl"] == expected


def test_should_auto_detect_redis_mtls_when_ca_is_mounted(load, pki):
    result = load({"NAUTOBOT_REDIS_HOST": "redis.example", "NAUTOBOT_MTLS_DIR": str(pki.dir)})
    settings = result["settings"]
    assert settings["broker_url"].startswith("rediss://")
    assert settings["broker_use_ssl"] == {
        "ssl_cert_reqs": CERT_REQUIRED,
        "ssl_ca_certs": str(pki.dir / "ca.crt"),
        "ssl_certfile": str(pki.dir / "tls.crt"),
        "ssl_keyfile": str(pki.dir / "tls.key"),
    }


def test_should_not_auto_detect_when_redis_ssl_is_explicitly_false(load, pki):
    result = load({"NAUTOBOT_REDIS_SSL": "false", "NAUTOBOT_MTLS_DIR": str(pki.dir)})
    assert result["settings"]["broker_use_ssl"] is None
    assert result["settings"]["broker_url"].startswith("redis://")


def test_should_refuse_contradiction_when_ssl_vars_are_set_but_redis_ssl_is_false(load, pki):
    result = load({**_redis_only(pki), "NAUTOBOT_REDIS_SSL": "false"})
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"].startswith("NAUTOBOT_REDIS_SSL=false contradicts NAUTOBOT_REDIS_SSL_CERT_REQS")


@pytest.mark.parametrize("value", ["none", "CERT_NONE"])
def test_should_refuse_unverified_server_when_cert_reqs_is_none(load, pki, value):
    result = load({**_redis_only(pki), "NAUTOBOT_REDIS_SSL_CERT_REQS": value})
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"].startswith("NAUTOBOT_REDIS_SSL_CERT_REQS=none would accept any server certificate")


def test_should_refuse_unknown_cert_reqs_when_value_is_misspelt(load, pki):
    result = load({**_redis_only(pki), "NAUTOBOT_REDIS_SSL_CERT_REQS": "requried"})
    assert result["error"] == "ImproperlyConfigured"
    assert "NAUTOBOT_REDIS_SSL_CERT_REQS='requried' is not supported: use one of required, optional" in result["message"]


@pytest.mark.parametrize(
    "variable", ["NAUTOBOT_REDIS_SSL_CA_CERTS", "NAUTOBOT_REDIS_SSL_CERTFILE", "NAUTOBOT_REDIS_SSL_KEYFILE"]
)
def test_should_name_the_variable_when_a_redis_cert_file_is_missing(load, pki, tmp_path, variable):
    missing = tmp_path / "absent.pem"
    result = load({**_redis_only(pki), variable: str(missing)})
    assert result["error"] == "FileNotFoundError"
    assert result["message"] == f"SSL certificate file required by {variable} not found: {missing}"


def test_should_refuse_plain_broker_url_when_redis_mtls_is_on(load, pki):
    result = load({**_redis_only(pki), "NAUTOBOT_CELERY_BROKER_URL": "amqp://guest@rabbit//"})
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"].startswith("NAUTOBOT_CELERY_BROKER_URL uses scheme amqp")


def test_should_upgrade_explicit_redis_broker_url_when_redis_mtls_is_on(load, pki):
    result = load({**_redis_only(pki), "NAUTOBOT_CELERY_BROKER_URL": "redis://broker.example:6380/3"})
    assert result["settings"]["broker_url"] == "rediss://broker.example:6380/3"


def test_should_refuse_unix_scheme_when_redis_mtls_is_on(load, pki):
    result = load({**_redis_only(pki), "NAUTOBOT_REDIS_SCHEME": "unix"})
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"].startswith("NAUTOBOT_REDIS_SCHEME=unix cannot carry Redis mutual TLS")


def test_should_put_ssl_options_in_pool_kwargs_when_the_cache_options_name_a_client_class(load, pki):
    result = load(
        {**_redis_only(pki), "NAUTOBOT_CACHES_BACKEND": "django.core.cache.backends.redis.RedisCache"}
    )
    # Nautobot's default OPTIONS include CLIENT_CLASS (django-redis) whatever the backend, so the pool kwargs are used.
    assert result["settings"]["cache_options"]["CONNECTION_POOL_KWARGS"]["ssl_cert_reqs"] == CERT_REQUIRED


def test_should_put_ssl_options_in_cache_options_when_no_client_class_is_configured(load, pki, tmp_path):
    # Django's own RedisCache takes its pool options at the top level of OPTIONS. Nautobot always names CLIENT_CLASS,
    # so reach that branch the way a deploy would: a config that drops it before loading this one.
    wrapper = tmp_path / "nautobot_config.py"
    wrapper.write_text(
        "import nautobot.core.settings as _defaults\n"
        "_defaults.CACHES['default']['OPTIONS'].pop('CLIENT_CLASS')\n"
        f"exec(compile(open({str(CONFIG)!r}).read(), {str(CONFIG)!r}, 'exec'))\n"
    )
    result = load({**_redis_only(pki), "NAUTOBOT_REDIS_HOST": "redis.example"}, config=wrapper)
    assert "error" not in result, result.get("traceback")
    options = result["settings"]["cache_options"]
    assert "CONNECTION_POOL_KWARGS" not in options
    assert options["ssl_cert_reqs"] == CERT_REQUIRED
    assert options["ssl_ca_certs"] == str(pki.ca)


def test_should_verify_server_with_system_cas_when_redis_ssl_is_true_and_no_ca_is_found(load, tmp_path):
    # NAUTOBOT_REDIS_SSL=true makes Nautobot build rediss:// URLs; with no NAUTOBOT_REDIS_SSL_* variable and no CA
    # at the mount, kombu would connect with CERT_NONE. The config must still demand a verified server.
    result = load(
        {
            "NAUTOBOT_REDIS_HOST": "redis.example",
            "NAUTOBOT_REDIS_SSL": "true",
            "NAUTOBOT_MTLS_DIR": str(tmp_path / "not-mounted"),
        }
    )
    assert "error" not in result, result.get("traceback")
    settings = result["settings"]
    assert settings["broker_url"] == "rediss://redis.example:6379/0"
    assert settings["cache_location"] == "rediss://redis.example:6379/1"
    assert settings["broker_use_ssl"] == {"ssl_cert_reqs": CERT_REQUIRED}
    assert settings["redis_backend_use_ssl"] == {"ssl_cert_reqs": CERT_REQUIRED}
    assert settings["cache_options"]["CONNECTION_POOL_KWARGS"] == {"ssl_cert_reqs": CERT_REQUIRED}


def test_should_verify_broker_server_when_only_the_broker_url_is_rediss(load, tmp_path):
    # An explicit rediss:// broker URL with NAUTOBOT_REDIS_SSL unset: the broker verifies, the plain cache stays plain.
    result = load(
        {
            "NAUTOBOT_REDIS_HOST": "redis.example",
            "NAUTOBOT_CELERY_BROKER_URL": "rediss://broker.example:6380/0",
            "NAUTOBOT_MTLS_DIR": str(tmp_path / "not-mounted"),
        }
    )
    settings = result["settings"]
    assert settings["broker_use_ssl"] == {"ssl_cert_reqs": CERT_REQUIRED}
    assert settings["cache_location"] == "redis://redis.example:6379/1"
    assert "CONNECTION_POOL_KWARGS" not in settings["cache_options"]
