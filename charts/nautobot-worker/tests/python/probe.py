"""Loads a nautobot_config.py the way `nautobot-server` does and prints the resulting settings as JSON.

Usage: python probe.py <config_path> [--setup CHECK]
Run in a subprocess by the tests (settings are process-global). With --setup, also runs django.setup() and then the
named check against real servers (see checks below) and prints its result.
"""

import json
import os
import sys
import traceback


def settings_summary(module):
    cache = module.CACHES["default"]
    return {
        "db_options": module.DATABASES["default"].get("OPTIONS", {}),
        "job_logs_options": module.DATABASES.get("job_logs", {}).get("OPTIONS", {}),
        "cache_location": cache["LOCATION"],
        "cache_options": cache.get("OPTIONS", {}),
        "broker_url": module.CELERY_BROKER_URL,
        "broker_use_ssl": getattr(module, "CELERY_BROKER_USE_SSL", None),
        "redis_backend_use_ssl": getattr(module, "CELERY_REDIS_BACKEND_USE_SSL", None),
        "plugins": module.PLUGINS,
        "plugins_config": module.PLUGINS_CONFIG,
        "installed_apps": module.INSTALLED_APPS,
        "understack_site": module.UNDERSTACK_SITE,
        "understack_partition": module.UNDERSTACK_PARTITION,
        "celery_task_acks_late": module.CELERY_TASK_ACKS_LATE,
        "celery_worker_prefetch_multiplier": module.CELERY_WORKER_PREFETCH_MULTIPLIER,
        "db_conn_max_age": module.DATABASES["default"].get("CONN_MAX_AGE"),
    }


def check_cache():
    """A real round trip through the Django cache (django-redis)."""
    from django.core.cache import cache

    cache.set("understack-probe", "ok", 30)
    return cache.get("understack-probe")


def check_broker():
    """A real publish/consume through the Celery broker connection Nautobot's Celery app builds."""
    from nautobot.core.celery import app

    with app.connection_for_write() as connection:
        connection.ensure_connection(max_retries=1)
        queue = connection.SimpleQueue("understack-probe")
        queue.put({"hello": "site"})
        message = queue.get(timeout=10)
        message.ack()
        body = message.payload
        queue.close()
        conn = connection.default_channel.client.connection_pool.connection_kwargs
        return {"body": body, "ssl_cert_reqs": conn.get("ssl_cert_reqs")}


def check_db():
    """Open a database connection exactly the way Django does (get_connection_params -> psycopg)."""
    from django.db import connection

    params = connection.get_connection_params()
    try:
        connection.get_new_connection(params).close()
        return {"connected": True}
    except Exception as error:  # noqa: BLE001  (the test server refuses after the startup message on purpose)
        return {"connected": False, "error": str(error).strip()}


CHECKS = {"cache": check_cache, "broker": check_broker, "db": check_db}


def main():
    config_path = sys.argv[1]
    check = sys.argv[3] if len(sys.argv) > 3 and sys.argv[2] == "--setup" else None
    os.environ["DJANGO_SETTINGS_MODULE"] = "nautobot_config"
    try:
        from nautobot.core.cli import load_settings

        load_settings(config_path)
        result = {"settings": settings_summary(sys.modules["nautobot_config"])}
        if check:
            import django

            django.setup()
            result["check"] = CHECKS[check]()
    except BaseException as error:  # noqa: BLE001  (the test asserts on whatever the config raised)
        result = {
            "error": type(error).__name__,
            "message": str(error),
            "traceback": traceback.format_exc(),
        }
    print(json.dumps(result, default=str))


if __name__ == "__main__":
    main()
