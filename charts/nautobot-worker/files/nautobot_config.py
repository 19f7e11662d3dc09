"""nautobot_config.py for UnderStack: one file for the global Nautobot pods and the site Celery workers.

Shipped by the `nautobot-worker` chart as a ConfigMap mounted at Nautobot's default path
(/opt/nautobot/nautobot_config.py). Everything here is driven by environment variables, so the same file serves
every pod; docs/deployment-spec.md lists each variable with its default and why it exists.

On top of Nautobot's own defaults (`nautobot.core.settings`) this file adds:

* PostgreSQL TLS (`NAUTOBOT_DB_SSLMODE`, `NAUTOBOT_DB_SSLNEGOTIATION`, `NAUTOBOT_DB_SSL*` paths). The global
  database sits behind an Envoy TLS-passthrough route and `pg_hba hostssl ... cert`, so workers present a client
  certificate and, for passthrough, start TLS directly (libpq >= 17).
* Redis mutual TLS for the Django cache, the Celery broker and a Redis result backend, either from the explicit
  `NAUTOBOT_REDIS_SSL_*` variables or auto-detected from the CA file at the mTLS mount. Every `rediss://` URL
  verifies the server certificate (against the mTLS CA, or the system CA store when TLS is on without a client
  certificate): kombu would otherwise connect to a `rediss://` URL without verifying anything.
* Plugin loading: open-source defaults when importable, `NAUTOBOT_EXTRA_PLUGINS`, `NAUTOBOT_EXTRA_PLUGINS_CONFIG`.
* `UNDERSTACK_SITE` / `UNDERSTACK_PARTITION` as Django settings.

Misconfiguration stops the process at startup with a message naming the variable and the fix: a worker that starts
but cannot reach its database through the gateway is much harder to diagnose than one that refuses to start.
"""

import copy
import importlib.util
import json
import logging
import os
import re
import ssl

from django.core.exceptions import ImproperlyConfigured

from nautobot.core.settings import *  # noqa: F401,F403  (Nautobot's defaults; everything below adjusts them)
from nautobot.core.settings import CACHES as _NAUTOBOT_CACHES
from nautobot.core.settings import CELERY_BROKER_URL as _NAUTOBOT_CELERY_BROKER_URL
from nautobot.core.settings import DATABASES as _NAUTOBOT_DATABASES
from nautobot.core.settings import PLUGINS as _NAUTOBOT_PLUGINS
from nautobot.core.settings import PLUGINS_CONFIG as _NAUTOBOT_PLUGINS_CONFIG
from nautobot.core.settings_funcs import is_truthy

logger = logging.getLogger("nautobot.understack.config")

# Where the chart mounts the `nautobot-mtls-client` secret (keys tls.crt, tls.key, ca.crt): the default folder of
# every certificate path below and where Redis mutual TLS is auto-detected from.
MTLS_DEFAULT_DIR = (os.environ.get("NAUTOBOT_MTLS_DIR") or "").strip().rstrip("/") or "/etc/nautobot/mtls"

# Copies, so that adjusting them never mutates nautobot.core.settings (other code may compare against it).
DATABASES = copy.deepcopy(_NAUTOBOT_DATABASES)
CACHES = copy.deepcopy(_NAUTOBOT_CACHES)
PLUGINS = list(_NAUTOBOT_PLUGINS)
PLUGINS_CONFIG = copy.deepcopy(_NAUTOBOT_PLUGINS_CONFIG)
CELERY_BROKER_URL = _NAUTOBOT_CELERY_BROKER_URL


def _env(name):
    """The variable's value with surrounding whitespace removed, or None when it is unset or blank."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        return None
    return value.strip()


def _require_file(variable, path):
    """Fail at startup, naming the variable, when a certificate or key file is missing."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"SSL certificate file required by {variable} not found: {path}")
    return path


###############################################################################
# PostgreSQL TLS
###############################################################################

DB_SSLMODES = ("verify-ca", "verify-full", "require")
DB_SSLNEGOTIATIONS = ("direct", "postgres")
# libpq learned `sslnegotiation` (and direct TLS) in PostgreSQL 17; libpq_version() encodes 17.0 as 170000.
LIBPQ_DIRECT_TLS_MIN_VERSION = 170000


def libpq_version():
    """(driver, libpq version number) of the driver Django will use: psycopg 3 when importable, else psycopg2."""
    try:
        import psycopg  # noqa: PLC0415  (Django prefers psycopg 3 when it is installed)

        return "psycopg", psycopg.pq.version()
    except ImportError:
        import psycopg2.extensions  # noqa: PLC0415

        return "psycopg2", psycopg2.extensions.libpq_version()


def format_libpq_version(number):
    """170011 -> '17.11' (PostgreSQL >= 10 numbering: major * 10000 + minor)."""
    return f"{number // 10000}.{number % 10000}"


def check_direct_tls_support(driver, version):
    """Refuse `sslnegotiation=direct` with a libpq that does not know it (it would fail with an obscure error)."""
    if version < LIBPQ_DIRECT_TLS_MIN_VERSION:
        raise ImproperlyConfigured(
            f"NAUTOBOT_DB_SSLNEGOTIATION=direct needs libpq >= 17, but {driver} uses libpq "
            f"{format_libpq_version(version)}: the PostgreSQL route through the gateway is TLS passthrough, which "
            "only works when the client starts TLS directly. Either: install a driver built against libpq 17 or "
            "newer (psycopg2-binary >= 2.9.10 bundles it), or connect without the passthrough gateway and unset "
            "NAUTOBOT_DB_SSLNEGOTIATION."
        )


def database_tls_options():
    """The DATABASES OPTIONS implied by NAUTOBOT_DB_SSLMODE / NAUTOBOT_DB_SSLNEGOTIATION and the cert paths."""
    get = _env
    options = {}
    sslmode = get("NAUTOBOT_DB_SSLMODE")
    if sslmode in ("verify-ca", "verify-full"):
        for variable, option, filename in (
            ("NAUTOBOT_DB_SSLCERT", "sslcert", "tls.crt"),
            ("NAUTOBOT_DB_SSLKEY", "sslkey", "tls.key"),
            ("NAUTOBOT_DB_SSLROOTCERT", "sslrootcert", "ca.crt"),
        ):
            options[option] = _require_file(variable, get(variable) or f"{MTLS_DEFAULT_DIR}/{filename}")
        options["sslmode"] = sslmode
    elif sslmode == "require":
        options["sslmode"] = "require"
    elif sslmode is not None:
        raise ImproperlyConfigured(
            f"NAUTOBOT_DB_SSLMODE={sslmode!r} is not supported: use one of {', '.join(DB_SSLMODES)}, or leave it "
            "unset for a plain connection. verify-ca/verify-full present the client certificate that "
            "`pg_hba hostssl ... cert` requires."
        )

    negotiation = get("NAUTOBOT_DB_SSLNEGOTIATION")
    if negotiation == "direct":
        if options.get("sslmode") not in DB_SSLMODES:
            raise ImproperlyConfigured(
                "NAUTOBOT_DB_SSLNEGOTIATION=direct needs NAUTOBOT_DB_SSLMODE set to require, verify-ca or "
                f"verify-full (it is {sslmode or 'unset'}): direct TLS cannot fall back to a plain connection, so "
                "libpq refuses it with a weaker sslmode. Either: set NAUTOBOT_DB_SSLMODE=verify-ca, or unset "
                "NAUTOBOT_DB_SSLNEGOTIATION."
            )
        check_direct_tls_support(*libpq_version())
        options["sslnegotiation"] = "direct"
    elif negotiation == "postgres":
        # The traditional SSLRequest handshake; only spell it out where libpq knows the option.
        driver, version = libpq_version()
        if version >= LIBPQ_DIRECT_TLS_MIN_VERSION:
            options["sslnegotiation"] = "postgres"
    elif negotiation is not None:
        raise ImproperlyConfigured(
            f"NAUTOBOT_DB_SSLNEGOTIATION={negotiation!r} is not supported: use one of "
            f"{', '.join(DB_SSLNEGOTIATIONS)}, or leave it unset (postgres). Use direct behind a TLS-passthrough "
            "gateway."
        )
    return options


DATABASES["default"].setdefault("OPTIONS", {}).update(database_tls_options())


###############################################################################
# Redis mutual TLS (cache, Celery broker, Celery Redis result backend)
###############################################################################

REDIS_CERT_REQS = {"required": ssl.CERT_REQUIRED, "optional": ssl.CERT_OPTIONAL}
_REDIS_SSL_VARIABLES = (
    "NAUTOBOT_REDIS_SSL_CERT_REQS",
    "NAUTOBOT_REDIS_SSL_CA_CERTS",
    "NAUTOBOT_REDIS_SSL_CERTFILE",
    "NAUTOBOT_REDIS_SSL_KEYFILE",
)


def redis_tls_options():
    """The ssl_* connection options for Redis, or None when Redis mutual TLS is not in use.

    Enabled when any NAUTOBOT_REDIS_SSL_* variable is set, or when the CA file exists at the mTLS mount and
    NAUTOBOT_REDIS_SSL is not explicitly false.
    """
    explicit = [name for name in _REDIS_SSL_VARIABLES if _env(name)]
    ca_certs = _env("NAUTOBOT_REDIS_SSL_CA_CERTS") or f"{MTLS_DEFAULT_DIR}/ca.crt"
    redis_ssl = _env("NAUTOBOT_REDIS_SSL")
    if explicit:
        if redis_ssl is not None and not is_truthy(redis_ssl):
            raise ImproperlyConfigured(
                f"NAUTOBOT_REDIS_SSL={redis_ssl} contradicts {', '.join(explicit)}: client certificates are only "
                "presented over TLS. Either: set NAUTOBOT_REDIS_SSL=true, or unset the NAUTOBOT_REDIS_SSL_* "
                "variables."
            )
    elif not os.path.isfile(ca_certs) or (redis_ssl is not None and not is_truthy(redis_ssl)):
        return None

    scheme = _env("NAUTOBOT_REDIS_SCHEME")
    if scheme is not None and scheme != "rediss":
        raise ImproperlyConfigured(
            f"NAUTOBOT_REDIS_SCHEME={scheme} cannot carry Redis mutual TLS: use rediss (or unset it), or unset the "
            "NAUTOBOT_REDIS_SSL_* variables."
        )

    cert_reqs_name = (_env("NAUTOBOT_REDIS_SSL_CERT_REQS") or "required").lower()
    if cert_reqs_name.startswith("cert_"):
        cert_reqs_name = cert_reqs_name[len("cert_") :]
    if cert_reqs_name == "none":
        raise ImproperlyConfigured(
            "NAUTOBOT_REDIS_SSL_CERT_REQS=none would accept any server certificate, so anyone on the path could "
            "impersonate Redis: use required (the default) and point NAUTOBOT_REDIS_SSL_CA_CERTS at the CA that "
            "signed the Redis server certificate."
        )
    if cert_reqs_name not in REDIS_CERT_REQS:
        raise ImproperlyConfigured(
            f"NAUTOBOT_REDIS_SSL_CERT_REQS={_env('NAUTOBOT_REDIS_SSL_CERT_REQS')!r} is not supported: use one of "
            f"{', '.join(REDIS_CERT_REQS)}."
        )

    return {
        "ssl_cert_reqs": REDIS_CERT_REQS[cert_reqs_name],
        "ssl_ca_certs": _require_file("NAUTOBOT_REDIS_SSL_CA_CERTS", ca_certs),
        "ssl_certfile": _require_file(
            "NAUTOBOT_REDIS_SSL_CERTFILE", _env("NAUTOBOT_REDIS_SSL_CERTFILE") or f"{MTLS_DEFAULT_DIR}/tls.crt"
        ),
        "ssl_keyfile": _require_file(
            "NAUTOBOT_REDIS_SSL_KEYFILE", _env("NAUTOBOT_REDIS_SSL_KEYFILE") or f"{MTLS_DEFAULT_DIR}/tls.key"
        ),
    }


def _as_rediss(url, variable):
    """The URL with scheme rediss://; a different non-redis scheme is refused."""
    if url.startswith("rediss://"):
        return url
    if url.startswith("redis://"):
        return "rediss://" + url[len("redis://") :]
    scheme = url.split("://", 1)[0] if "://" in url else "(none)"
    raise ImproperlyConfigured(
        f"{variable} uses scheme {scheme}, which cannot carry Redis mutual TLS: use a rediss:// URL, or unset the "
        "NAUTOBOT_REDIS_SSL_* variables and the mTLS mount."
    )


REDIS_SSL_OPTIONS = redis_tls_options()
if REDIS_SSL_OPTIONS is not None:
    CACHES["default"]["LOCATION"] = _as_rediss(CACHES["default"]["LOCATION"], "the cache location")
    CELERY_BROKER_URL = _as_rediss(
        CELERY_BROKER_URL,
        "NAUTOBOT_CELERY_BROKER_URL" if _env("NAUTOBOT_CELERY_BROKER_URL") else "the Celery broker URL",
    )
    _cache_options = CACHES["default"].setdefault("OPTIONS", {})
    if "CLIENT_CLASS" in _cache_options:
        # django-redis (Nautobot's default backend) hands CONNECTION_POOL_KWARGS to redis.ConnectionPool.
        _cache_options.setdefault("CONNECTION_POOL_KWARGS", {}).update(REDIS_SSL_OPTIONS)
    else:
        # Django's built-in RedisCache passes its OPTIONS to the connection pool directly.
        _cache_options.update(REDIS_SSL_OPTIONS)
    # Explicit options for kombu: given a rediss:// URL and no options, it would not verify the server at all.
    CELERY_BROKER_USE_SSL = dict(REDIS_SSL_OPTIONS)
    # Same for a Redis result backend (Nautobot stores results in the database by default; harmless then).
    CELERY_REDIS_BACKEND_USE_SSL = dict(REDIS_SSL_OPTIONS)
else:
    # TLS without a client certificate: NAUTOBOT_REDIS_SSL=true (or a rediss:// NAUTOBOT_CELERY_BROKER_URL) and no
    # private CA found, e.g. the chart with mtls.enabled=false, or a global pod without the mTLS mount. kombu would
    # connect to a rediss:// broker with CERT_NONE, so anyone on the path could impersonate Redis. We verify the
    # server against the system CA store instead of refusing to start: a Redis with a publicly trusted certificate
    # (or a private CA added to the store: OpenSSL's default paths honour SSL_CERT_FILE, which the chart's combined
    # trust bundle sets) is a legitimate setup, and a server the store does not trust fails the TLS handshake with
    # "certificate verify failed" instead of being accepted silently. Only the URLs that are rediss:// change.
    REDIS_SERVER_VERIFY_OPTIONS = {"ssl_cert_reqs": ssl.CERT_REQUIRED}
    if CACHES["default"]["LOCATION"].startswith("rediss://"):
        _cache_options = CACHES["default"].setdefault("OPTIONS", {})
        if "CLIENT_CLASS" in _cache_options:
            _cache_options.setdefault("CONNECTION_POOL_KWARGS", {}).update(REDIS_SERVER_VERIFY_OPTIONS)
        else:
            _cache_options.update(REDIS_SERVER_VERIFY_OPTIONS)
    if CELERY_BROKER_URL.startswith("rediss://"):
        CELERY_BROKER_USE_SSL = dict(REDIS_SERVER_VERIFY_OPTIONS)
        CELERY_REDIS_BACKEND_USE_SSL = dict(REDIS_SERVER_VERIFY_OPTIONS)


###############################################################################
# Celery task acknowledgement
###############################################################################

# Nautobot has no variable for Celery's task_acks_late (worker_prefetch_multiplier it reads itself, from
# NAUTOBOT_CELERY_WORKER_PREFETCH_MULTIPLIER). The chart sets this from `celery.task_acks_late`. Late acknowledgement
# re-runs a task whose worker died mid-run, so only turn it on when every job is idempotent.
CELERY_TASK_ACKS_LATE = is_truthy(os.getenv("NAUTOBOT_CELERY_TASK_ACKS_LATE", "False"))


###############################################################################
# Plugins
###############################################################################

# Open-source apps loaded whenever the image has them installed (the UnderStack image does; the upstream image
# does not, and then they are skipped quietly).
DEFAULT_PLUGINS = (
    "nautobot_ssot",
    "nautobot_golden_config",
    "nautobot_plugin_nornir",
    "nautobot_device_lifecycle_mgmt",
)


def _importable(module):
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _split_plugins(value):
    return [name.strip() for name in (value or "").split(",") if name.strip()]


for _plugin in DEFAULT_PLUGINS:
    if _plugin not in PLUGINS and _importable(_plugin):
        PLUGINS.append(_plugin)

for _plugin in _split_plugins(os.environ.get("NAUTOBOT_EXTRA_PLUGINS")):
    if _plugin in PLUGINS:
        continue
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*", _plugin):
        raise ImproperlyConfigured(
            f"NAUTOBOT_EXTRA_PLUGINS: {_plugin!r} is not a Python module name: list module names separated by "
            "commas, e.g. nautobot_bgp_models,my_company_app."
        )
    if _importable(_plugin):
        PLUGINS.append(_plugin)
    else:
        logger.warning("NAUTOBOT_EXTRA_PLUGINS: %s is not installed in this image; skipping it", _plugin)

_ENV_REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env_references(value, path="$"):
    """Replace ${VAR} in every string of a JSON value; an unset variable is an error naming it and its JSON path."""
    if isinstance(value, dict):
        return {key: expand_env_references(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, list):
        return [expand_env_references(item, f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, str):

        def substitute(match):
            name = match.group(1)
            if name not in os.environ:
                raise ImproperlyConfigured(
                    f"NAUTOBOT_EXTRA_PLUGINS_CONFIG {path}: references ${{{name}}}, but {name} is not set. Either: "
                    f"set {name} in the pod environment (e.g. from a secretKeyRef), or remove the reference."
                )
            return os.environ[name]

        return _ENV_REFERENCE.sub(substitute, value)
    return value


def extra_plugins_config(raw):
    """Parse NAUTOBOT_EXTRA_PLUGINS_CONFIG: a JSON object {plugin: {setting: value}} with ${VAR} expansion."""
    if raw is None or not raw.strip():
        return {}
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(
            f"NAUTOBOT_EXTRA_PLUGINS_CONFIG is not valid JSON: {error.msg} at line {error.lineno} column "
            f"{error.colno}. It must be a JSON object such as "
            '{"nautobot_ssot": {"token": "${SSOT_TOKEN}"}}.'
        ) from error
    if not isinstance(parsed, dict):
        raise ImproperlyConfigured(
            f"NAUTOBOT_EXTRA_PLUGINS_CONFIG must be a JSON object keyed by plugin name, not a {type(parsed).__name__}."
        )
    for plugin, settings in parsed.items():
        if not isinstance(settings, dict):
            raise ImproperlyConfigured(
                f"NAUTOBOT_EXTRA_PLUGINS_CONFIG $.{plugin}: must be a JSON object of settings, not a "
                f"{type(settings).__name__}."
            )
    return expand_env_references(parsed)


for _plugin, _settings in extra_plugins_config(os.environ.get("NAUTOBOT_EXTRA_PLUGINS_CONFIG")).items():
    PLUGINS_CONFIG.setdefault(_plugin, {}).update(_settings)


###############################################################################
# UnderStack identity (from the cluster-data ConfigMap)
###############################################################################

# Site partition, used by computed fields such as device URN generation.
UNDERSTACK_PARTITION = os.environ.get("UNDERSTACK_PARTITION", "")
# The site whose cluster runs this pod (empty on the global cluster).
UNDERSTACK_SITE = os.environ.get("UNDERSTACK_SITE", "")
