"""The sample deployment files under deploy/ parse and agree with what the app expects."""

from __future__ import annotations

import re
import runpy
import shlex
from pathlib import Path

import pytest

from config.env import BASE_DIR, read_env

DEPLOY = BASE_DIR / "deploy"


def _unit(name: str) -> dict[str, dict[str, str]]:
    """A systemd unit as {section: {key: value}}; a key systemd allows to repeat (EnvironmentFile)
    keeps its values joined by newlines, any other repeated key or stray line fails the parse."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for number, raw in enumerate((DEPLOY / name).read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if match := re.fullmatch(r"\[(\w+)\]", line):
            assert match.group(1) not in sections, f"{name}:{number}: section repeated"
            current = sections[match.group(1)] = {}
            continue
        key, sep, value = line.partition("=")
        assert current is not None and sep and re.fullmatch(r"[A-Za-z]+", key), f"{name}:{number}: {raw!r}"
        if key in current:
            assert key in _REPEATABLE, f"{name}:{number}: {key} repeated"
            current[key] += "\n" + value
        else:
            current[key] = value
    return sections


_REPEATABLE = {"EnvironmentFile", "Environment", "ReadWritePaths"}


def _manage_py_commands() -> list[tuple[str, list[str]]]:
    """(unit, argv after manage.py) of every ExecStart that runs manage.py."""
    found = []
    for path in sorted(DEPLOY.glob("*.service")):
        exec_start = _unit(path.name)["Service"]["ExecStart"]
        words = shlex.split(exec_start)
        if "manage.py" in words:
            found.append((path.name, words[words.index("manage.py") + 1:]))
    return found


def test_gunicorn_config_imports_and_points_at_the_wsgi_app(monkeypatch):
    monkeypatch.setenv("GUNICORN_WORKERS", "3")
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert conf["wsgi_app"] == "config.wsgi:application" and conf["workers"] == 3
    assert conf["worker_class"] == "sync" and conf["bind"].startswith("127.0.0.1:")
    from gunicorn.config import Config

    known = set(Config().settings)
    settings = {k for k in conf if not k.startswith("_") and k not in {"multiprocessing", "os"}}
    assert settings <= known, f"not gunicorn settings: {settings - known}"


@pytest.mark.parametrize(("name", "command"), [
    ("zhengwu-web.service", "gunicorn --config /opt/zhengwu/deploy/gunicorn.conf.py"),
    ("zhengwu-clock.service", "manage.py run_clock"),
    ("zhengwu-backup.service", "manage.py backup --out"),
    ("zhengwu-audit-archive.service", "manage.py audit_archive"),
])
def test_systemd_units_parse_with_the_required_keys(name, command):
    unit = _unit(name)
    assert unit["Unit"]["Description"]
    service = unit["Service"]
    assert command in service["ExecStart"] and service["ExecStart"].startswith("/")
    assert service["EnvironmentFile"].split("\n")[0] == "/etc/zhengwu/env" and service["User"] == "zhengwu"
    if service.get("Type") == "oneshot":
        assert (DEPLOY / name.replace(".service", ".timer")).is_file(), "a one-shot service is started by its timer"
    else:
        assert service["Restart"] in {"always", "on-failure"}
        assert unit["Install"]["WantedBy"] == "multi-user.target"


@pytest.mark.parametrize("name", ["zhengwu-backup.timer", "zhengwu-audit-archive.timer"])
def test_the_timers_run_daily_and_start_their_one_shot_service(name):
    timer = _unit(name)
    # `*-*-* HH:MM:SS` is systemd's "every day at"; Persistent catches up a run missed while the host was down.
    assert re.fullmatch(r"\*-\*-\* ([01]\d|2[0-3]):[0-5]\d:[0-5]\d", timer["Timer"]["OnCalendar"])
    assert timer["Timer"]["Persistent"] == "true" and timer["Install"]["WantedBy"] == "timers.target"
    service = _unit(timer["Timer"].get("Unit", name.replace(".timer", ".service")))
    assert service["Service"]["Type"] == "oneshot"


def test_the_archive_runs_after_the_backup():
    # An event leaves the table only after a nightly backup that still holds it has been taken.
    backup = _unit("zhengwu-backup.timer")["Timer"]["OnCalendar"]
    archive = _unit("zhengwu-audit-archive.timer")["Timer"]["OnCalendar"]
    assert backup.split()[1] < archive.split()[1]


@pytest.mark.parametrize(("unit", "argv"), _manage_py_commands())
def test_every_manage_py_command_in_a_unit_exists_and_accepts_its_arguments(unit, argv):
    from django.core.management import get_commands, load_command_class

    name, *args = argv
    assert name in get_commands(), f"{unit}: no manage.py command {name}"
    command = load_command_class(get_commands()[name], name)
    command.create_parser("manage.py", name).parse_args(args)  # exits (SystemExit) on an unknown option


def test_units_of_all_manage_py_commands_are_checked():
    assert {unit for unit, _ in _manage_py_commands()} == {
        "zhengwu-clock.service", "zhengwu-backup.service", "zhengwu-audit-archive.service"}


def test_nginx_proxies_to_the_upstream_and_sets_the_trusted_address_header():
    text = (DEPLOY / "nginx.conf").read_text()
    assert text.count("{") == text.count("}")
    upstream = re.search(r"upstream\s+(\w+)\s*\{[^}]*server\s+127\.0\.0\.1:8000", text)
    assert upstream and f"proxy_pass http://{upstream.group(1)};" in text
    # zhengwu.core.middleware.client_ip trusts X-Real-IP only; nginx must overwrite it.
    assert "proxy_set_header X-Real-IP $remote_addr;" in text
    assert "X-Forwarded-For" not in re.sub(r"#.*", "", text)
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in text  # SECURE_PROXY_SSL_HEADER
    assert re.search(r"location /media/ \{\s*return 404;", text), "uploads are never served by nginx"
    # Django's check --deploy warnings W004/W008 are silenced in production because nginx does these.
    assert "return 301 https://$host$request_uri;" in text
    assert re.search(r'add_header Strict-Transport-Security "max-age=\d{7,}', text)


def test_access_logs_leave_out_query_strings_and_referers():
    # Searches by 身份证 or phone number post their term (cases/tests/test_search_privacy.py), but any
    # query string may still carry one (a crafted or old link), so none reaches an access log.
    conf = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert "%(U)s" in conf["access_log_format"]
    assert not re.search(r"%\((r|q|f)\)s", conf["access_log_format"])
    text = (DEPLOY / "nginx.conf").read_text()
    fmt = re.search(r"log_format zhengwu_noargs (.*?);", text, re.S)
    assert fmt and "$uri" in fmt.group(1)
    assert not re.search(r"\$(?:(?:request|args|query_string|request_uri|http_referer)\b|arg_)", fmt.group(1))
    logs = re.findall(r"^\s*access_log\s+([^;]+);", text, re.M)
    assert logs and all(line == "off" or line.endswith(" zhengwu_noargs") for line in logs), logs


def test_the_production_env_example_is_accepted_by_the_settings_reader():
    values = {}
    for line in (DEPLOY / "env.production.example").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    env = read_env(values)
    assert env.mode == "production" and not env.debug and env.rate_limit_enabled
    assert env.database["ENGINE"] == "django.db.backends.postgresql"
    assert env.database["USER"] == "zhengwu_app", "the application connects as the role that owns nothing"
    assert not str(env.media_root).startswith(str(Path("/var/lib/zhengwu/static")))
    example = (BASE_DIR / ".env.example").read_text()
    missing = [k for k in values if not k.startswith("GUNICORN_") and f"{k}=" not in example]
    assert missing == [], f"listed in deploy/env.production.example but not in .env.example: {missing}"


def test_django_deploy_check_passes_in_production_mode(tmp_path):
    import os
    import secrets
    import subprocess
    import sys

    # The browser tests may set DJANGO_ALLOW_ASYNC_UNSAFE in this process; a deployment never has it.
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {**env, "ZHENGWU_ENV": "production", "SECRET_KEY": secrets.token_urlsafe(64), "DEBUG": "false",
           "ZHENGWU_DATA_KEY": secrets.token_urlsafe(48),
           "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}", "ALLOWED_HOSTS": "zhengwu.example.gov.cn"}
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=BASE_DIR, env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
