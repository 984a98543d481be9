import pytest
from django.core.exceptions import ImproperlyConfigured

from config.env import DEV_SECRET_KEY, read_env


def test_development_defaults_to_sqlite_in_wal_mode():
    env = read_env({})
    assert env.mode == "development" and env.debug is True
    assert env.database["ENGINE"] == "django.db.backends.sqlite3"
    assert "journal_mode=WAL" in env.database["OPTIONS"]["init_command"]
    assert env.database["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_postgres_url_is_parsed():
    env = read_env({"DATABASE_URL": "postgres://u:p@127.0.0.1:5433/zw"})
    assert env.database["ENGINE"] == "django.db.backends.postgresql"
    assert env.database["PORT"] == 5433
    # The server binds the parameters and prepares what a connection runs twice, unless told not to.
    assert env.database["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 2}
    behind_a_pooler = read_env({"DATABASE_URL": "postgres://u:p@127.0.0.1:5433/zw", "DB_SERVER_SIDE_BINDING": "false"})
    assert not behind_a_pooler.database.get("OPTIONS", {}).get("server_side_binding")
    assert read_env({"DATABASE_URL": "postgres://u@h/zw", "DB_PREPARE_THRESHOLD": "5"}).database["OPTIONS"][
        "prepare_threshold"] == 5


@pytest.mark.parametrize(
    "values",
    [
        {"ZHENGWU_ENV": "production"},
        {"ZHENGWU_ENV": "production", "SECRET_KEY": DEV_SECRET_KEY},
        {"ZHENGWU_ENV": "production", "SECRET_KEY": "short"},
        {"ZHENGWU_ENV": "production", "SECRET_KEY": "x" * 60, "DEBUG": "true"},
        {"ZHENGWU_ENV": "production", "SECRET_KEY": "x" * 60},
        {"ZHENGWU_ENV": "production", "SECRET_KEY": "x" * 60, "ZHENGWU_DATA_KEY": "too-short"},
        {"ZHENGWU_ENV": "staging"},
        {"DEBUG": "maybe"},
        {"DATABASE_URL": "mysql://u@h/db"},
        {"DATABASE_URL": "nonsense"},
        {"SWEEPER_INTERVAL_SECONDS": "soon"},
        {"LOG_LEVEL": "LOUD"},
        {"DATABASE_URL": "postgres://u@h/zw", "DB_SERVER_SIDE_BINDING": "perhaps"},
        {"DATABASE_URL": "postgres://u@h/zw", "DB_PREPARE_THRESHOLD": "often"},
    ],
)
def test_bad_values_fail_loudly(values):
    with pytest.raises(ImproperlyConfigured):
        read_env(values)


def test_production_with_its_own_secret_starts():
    env = read_env({"ZHENGWU_ENV": "production", "SECRET_KEY": "k" * 64, "ZHENGWU_DATA_KEY": "d" * 40,
                    "ALLOWED_HOSTS": "zw.example.gov.cn"})
    assert env.debug is False and env.allowed_hosts == ["zw.example.gov.cn"]
    assert env.data_key == "d" * 40


def test_production_without_a_data_key_names_it():
    with pytest.raises(ImproperlyConfigured, match="ZHENGWU_DATA_KEY"):
        read_env({"ZHENGWU_ENV": "production", "SECRET_KEY": "k" * 64})


def test_outside_production_the_data_key_may_be_left_to_secret_key():
    assert read_env({"ZHENGWU_ENV": "development"}).data_key == ""


def test_the_previous_data_key_is_read_only_when_it_can_serve_a_rotation():
    production = {"ZHENGWU_ENV": "production", "SECRET_KEY": "k" * 64, "ZHENGWU_DATA_KEY": "d" * 40}
    assert read_env({**production, "ZHENGWU_DATA_KEY_PREVIOUS": "p" * 40}).data_key_previous == "p" * 40
    assert read_env(production).data_key_previous == ""
    with pytest.raises(ImproperlyConfigured, match="与当前密钥相同"):
        read_env({**production, "ZHENGWU_DATA_KEY_PREVIOUS": "d" * 40})
    with pytest.raises(ImproperlyConfigured, match="ZHENGWU_DATA_KEY_PREVIOUS 至少 32 个字符"):
        read_env({**production, "ZHENGWU_DATA_KEY_PREVIOUS": "short"})
    # Outside production SECRET_KEY stands in for the data key, so it cannot be the previous one either.
    with pytest.raises(ImproperlyConfigured, match="与当前密钥相同"):
        read_env({"ZHENGWU_ENV": "development", "SECRET_KEY": "s" * 50, "ZHENGWU_DATA_KEY_PREVIOUS": "s" * 50})


def test_settings_module_refuses_to_import_in_production_with_the_default_secret(tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        env={"ZHENGWU_ENV": "production", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        cwd=str(__import__("config.env").env.BASE_DIR),
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


@pytest.mark.django_db
def test_the_suite_runs_on_the_database_it_was_given():
    import os

    from django.db import connection

    url = os.environ.get("DATABASE_URL", "sqlite")
    assert connection.vendor == ("postgresql" if url.startswith("postgres") else "sqlite")


def test_the_deploy_check_warns_while_the_previous_data_key_is_set(settings):
    from django.core.checks import run_checks

    settings.ZHENGWU_DATA_KEY_PREVIOUS = ""
    assert "zhengwu.W001" not in [m.id for m in run_checks(include_deployment_checks=True)]
    settings.ZHENGWU_DATA_KEY_PREVIOUS = "p" * 40
    assert "zhengwu.W001" in [m.id for m in run_checks(include_deployment_checks=True)]
    assert "zhengwu.W001" not in [m.id for m in run_checks()], "only `check --deploy` asks"
