"""Plugin loading: defaults when importable, NAUTOBOT_EXTRA_PLUGINS, NAUTOBOT_EXTRA_PLUGINS_CONFIG with ${VAR}."""

import json
import textwrap

import pytest

APP_TEMPLATE = '''
from nautobot.apps import NautobotAppConfig


class {cls}(NautobotAppConfig):
    name = "{name}"
    verbose_name = "{name}"
    version = "1.0.0"
    author = "UnderStack tests"
    description = "A real, minimal Nautobot app used by the nautobot_config.py tests."
    base_url = "{name}"
    required_settings = {required}
    default_settings = {{"greeting": "hello"}}


config = {cls}
'''


@pytest.fixture
def apps_dir(tmp_path):
    """A folder on PYTHONPATH with two real Nautobot apps (one requires a setting, like most SSoT apps)."""
    root = tmp_path / "apps"
    for name, cls, required in (
        ("understack_test_app", "TestAppConfig", "[]"),
        ("understack_secret_app", "SecretAppConfig", '["token"]'),
    ):
        package = root / name
        package.mkdir(parents=True)
        (package / "__init__.py").write_text(
            textwrap.dedent(APP_TEMPLATE.format(name=name, cls=cls, required=required))
        )
    return root


def test_should_load_no_plugins_when_none_are_installed_or_requested(load):
    result = load({})
    assert result["settings"]["plugins"] == []


def test_should_load_extra_plugin_when_it_is_installed(load, apps_dir):
    result = load({"NAUTOBOT_EXTRA_PLUGINS": "understack_test_app"}, pythonpath=[apps_dir])
    settings = result["settings"]
    assert settings["plugins"] == ["understack_test_app"]
    assert "understack_test_app.TestAppConfig" in settings["installed_apps"]
    assert settings["plugins_config"]["understack_test_app"] == {"greeting": "hello"}


def test_should_skip_and_log_missing_plugin_when_it_is_not_installed(load, apps_dir):
    result = load(
        {"NAUTOBOT_EXTRA_PLUGINS": " not_installed_app , understack_test_app,"}, pythonpath=[apps_dir]
    )
    assert result["settings"]["plugins"] == ["understack_test_app"]
    assert "NAUTOBOT_EXTRA_PLUGINS: not_installed_app is not installed in this image; skipping it" in result["stderr"]


def test_should_refuse_a_non_module_name_when_listed_in_extra_plugins(load):
    result = load({"NAUTOBOT_EXTRA_PLUGINS": "nautobot-ssot"})
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"].startswith("NAUTOBOT_EXTRA_PLUGINS: 'nautobot-ssot' is not a Python module name")


def test_should_load_default_plugin_when_it_is_importable(load, tmp_path):
    # nautobot_ssot is one of the open-source defaults; provide a real (minimal) app under that module name.
    package = tmp_path / "defaults" / "nautobot_ssot"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(
        textwrap.dedent(APP_TEMPLATE.format(name="nautobot_ssot", cls="SsotConfig", required="[]"))
    )
    result = load({}, pythonpath=[tmp_path / "defaults"])
    assert result["settings"]["plugins"] == ["nautobot_ssot"]


def test_should_expand_env_references_when_plugins_config_uses_them(load, apps_dir):
    config = {"understack_secret_app": {"token": "${APP_TOKEN}", "urls": ["https://${APP_HOST}/api"], "n": 3}}
    result = load(
        {
            "NAUTOBOT_EXTRA_PLUGINS": "understack_secret_app",
            "NAUTOBOT_EXTRA_PLUGINS_CONFIG": json.dumps(config),
            "APP_TOKEN": "from-a-secret",
            "APP_HOST": "example.net",
        },
        pythonpath=[apps_dir],
    )
    assert "error" not in result, result.get("traceback")
    assert result["settings"]["plugins_config"]["understack_secret_app"] == {
        "token": "from-a-secret",
        "urls": ["https://example.net/api"],
        "n": 3,
        "greeting": "hello",
    }


def test_should_fail_naming_variable_and_path_when_a_reference_is_unset(load):
    config = {"understack_secret_app": {"auth": {"token": "${MISSING_TOKEN}"}}}
    result = load({"NAUTOBOT_EXTRA_PLUGINS_CONFIG": json.dumps(config)})
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"].startswith(
        "NAUTOBOT_EXTRA_PLUGINS_CONFIG $.understack_secret_app.auth.token: references ${MISSING_TOKEN}, "
        "but MISSING_TOKEN is not set."
    )


def test_should_fail_with_position_when_plugins_config_is_not_json(load):
    result = load({"NAUTOBOT_EXTRA_PLUGINS_CONFIG": '{"a": {"b": 1,}}'})
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"].startswith("NAUTOBOT_EXTRA_PLUGINS_CONFIG is not valid JSON:")
    assert "line 1 column" in result["message"]


@pytest.mark.parametrize(("raw", "kind"), [("[1, 2]", "list"), ('"x"', "str")])
def test_should_fail_when_plugins_config_is_not_an_object(load, raw, kind):
    result = load({"NAUTOBOT_EXTRA_PLUGINS_CONFIG": raw})
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"] == (
        f"NAUTOBOT_EXTRA_PLUGINS_CONFIG must be a JSON object keyed by plugin name, not a {kind}."
    )


def test_should_fail_when_a_plugin_entry_is_not_an_object(load):
    result = load({"NAUTOBOT_EXTRA_PLUGINS_CONFIG": '{"app": "token"}'})
    assert result["error"] == "ImproperlyConfigured"
    assert result["message"] == "NAUTOBOT_EXTRA_PLUGINS_CONFIG $.app: must be a JSON object of settings, not a str."


def test_should_not_fail_when_required_plugin_setting_comes_from_env_config(load, apps_dir):
    # Without the config the real Nautobot validation refuses the app: proves the merge is what satisfies it.
    result = load({"NAUTOBOT_EXTRA_PLUGINS": "understack_secret_app"}, pythonpath=[apps_dir])
    assert result["error"] == "PluginImproperlyConfigured"
    assert "token" in result["message"]


def test_should_expose_site_and_partition_when_cluster_data_is_set(load):
    result = load({"UNDERSTACK_SITE": "site-a", "UNDERSTACK_PARTITION": "iad3"})
    assert result["settings"]["understack_site"] == "site-a"
    assert result["settings"]["understack_partition"] == "iad3"


def test_should_default_identity_to_empty_when_cluster_data_is_absent(load):
    result = load({})
    assert result["settings"]["understack_site"] == ""
    assert result["settings"]["understack_partition"] == ""
