"""The sample deployment files under deploy/ parse and agree with what the app expects."""

from __future__ import annotations

import configparser
import re
import runpy
from pathlib import Path

import pytest

from config.env import BASE_DIR, read_env

DEPLOY = BASE_DIR / "deploy"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text())
    return parser


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
])
def test_systemd_units_parse_with_the_required_keys(name, command):
    unit = _unit(name)
    assert unit["Unit"]["Description"]
    service = unit["Service"]
    assert command in service["ExecStart"] and service["ExecStart"].startswith("/")
    assert service["EnvironmentFile"] == "/etc/zhengwu/env" and service["User"] == "zhengwu"
    if name != "zhengwu-backup.service":
        assert service["Restart"] in {"always", "on-failure"}
        assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_the_backup_timer_runs_daily():
    timer = _unit("zhengwu-backup.timer")
    assert timer["Timer"]["OnCalendar"] and timer["Install"]["WantedBy"] == "timers.target"


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
    # A staff search by 身份证 number travels in the query string (GET /work/?search=…).
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
