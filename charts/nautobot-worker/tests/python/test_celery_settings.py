"""Upstream-compatible celery/db values reach Nautobot's settings: the rendered env loaded by the real Nautobot."""

import pytest

from test_rendered_pod import CLUSTER_DATA, SECRETS, kubelet_env, render_deployment


def _settings(load, tmp_path, *helm_args):
    pod = render_deployment("--set", "mtls.enabled=false", "--set", "nautobot.redis.ssl=false", *helm_args)
    env = kubelet_env(pod, SECRETS, CLUSTER_DATA, tmp_path / "pod-tmp")
    env.pop("NAUTOBOT_CONFIG")
    result = load(env)
    assert "error" not in result, result.get("traceback")
    return result["settings"]


def test_should_use_the_chart_defaults_when_nothing_is_set(load, tmp_path):
    settings = _settings(load, tmp_path)
    assert settings["celery_task_acks_late"] is False
    assert settings["celery_worker_prefetch_multiplier"] == 1
    assert settings["db_conn_max_age"] == 300


@pytest.mark.parametrize(
    ("args", "acks_late", "prefetch", "conn_max_age"),
    [
        (["--set", "celery.task_acks_late=true", "--set", "celery.worker_prefetch_multiplier=4"], True, 4, 300),
        (["--set", "workers.default.task_acks_late=true", "--set", "nautobot.db.timeout=0"], True, 1, 0),
    ],
)
def test_should_reach_nautobot_settings_when_upstream_keys_are_set(load, tmp_path, args, acks_late, prefetch, conn_max_age):
    settings = _settings(load, tmp_path, *args)
    assert settings["celery_task_acks_late"] is acks_late
    assert settings["celery_worker_prefetch_multiplier"] == prefetch
    assert settings["db_conn_max_age"] == conn_max_age


def test_should_default_acks_late_to_false_when_the_variable_is_unset(load):
    # The global pods share nautobot_config.py and do not set the variable: Celery's default must hold.
    assert load({})["settings"]["celery_task_acks_late"] is False
