"""Every environment variable the platform reads, parsed once, failing loudly on a bad value."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
DEV_SECRET_KEY = "zhengwu-development-only-secret-key-do-not-use-in-production-0000"
MODES = ("development", "test", "production")
AUDIT_RETENTION_MIN_DAYS = 180

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"环境变量 {name} 的值无效：{raw!r}（应为 true/false）/ {name} must be true or false")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"环境变量 {name} 应为整数：{raw!r} / {name} must be an integer") from None
    if value < minimum:
        raise ImproperlyConfigured(f"环境变量 {name} 不能小于 {minimum} / {name} must be >= {minimum}")
    return value


def _rate(env: Mapping[str, str], name: str, default: tuple[int, int]) -> tuple[int, int]:
    """A rate written "requests/seconds", e.g. 20/60."""
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        count, seconds = (int(part) for part in raw.split("/"))
    except ValueError:
        raise ImproperlyConfigured(f"环境变量 {name} 应写作 次数/秒数，如 20/60：{raw!r} / {name} must look like 20/60") from None
    if count < 1 or seconds < 1:
        raise ImproperlyConfigured(f"环境变量 {name} 的次数和秒数须大于 0 / {name}: both parts must be > 0")
    return count, seconds


def _list(env: Mapping[str, str], name: str, default: list[str]) -> list[str]:
    raw = env.get(name)
    if raw is None:
        return default
    return [part.strip() for part in raw.split(",") if part.strip()]


@dataclass(frozen=True)
class Env:
    mode: str
    secret_key: str
    debug: bool
    database: dict
    database_url: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    media_root: Path
    static_root: Path
    sweeper_interval: int
    sweeper_stale_after: int
    log_level: str
    otp_required_for_all_staff: bool
    rate_limit_enabled: bool
    rate_limit_login: tuple[int, int]
    rate_limit_progress: tuple[int, int]
    rate_limit_submit: tuple[int, int]
    csp_report_only: bool
    audit_retention_days: int
    audit_archive_dir: Path
    audit_archive_user: str
    data_key: str
    data_key_previous: str


def read_env(env: Mapping[str, str] | None = None) -> Env:
    env = os.environ if env is None else env
    mode = env.get("ZHENGWU_ENV", "development").strip().lower()
    if mode not in MODES:
        raise ImproperlyConfigured(
            f"ZHENGWU_ENV 只能是 {', '.join(MODES)} 之一：{mode!r} / ZHENGWU_ENV must be one of {MODES}"
        )
    production = mode == "production"
    secret_key = env.get("SECRET_KEY", "")
    if production:
        if not secret_key or secret_key == DEV_SECRET_KEY:
            raise ImproperlyConfigured("生产模式必须设置自己的 SECRET_KEY / production mode needs its own SECRET_KEY")
        if len(secret_key) < 50:
            raise ImproperlyConfigured("SECRET_KEY 至少 50 个字符 / SECRET_KEY must be at least 50 characters")
    elif not secret_key:
        secret_key = DEV_SECRET_KEY
    debug = _bool(env, "DEBUG", default=mode == "development")
    if production and debug:
        raise ImproperlyConfigured("生产模式不得开启 DEBUG / DEBUG must be off in production")

    # Master secret of the SM4 keys and SM3-HMAC indexes of personal data at rest (zhengwu/core/crypto.py).
    # Outside production SECRET_KEY stands in; production needs its own, kept apart from SECRET_KEY
    # so rotating the session secret does not make every stored 身份证 number unreadable.
    data_key = env.get("ZHENGWU_DATA_KEY", "").strip()
    if production:
        if not data_key:
            raise ImproperlyConfigured(
                "生产模式必须设置 ZHENGWU_DATA_KEY（个人信息加密主密钥，至少 32 个字符）"
                " / production mode needs ZHENGWU_DATA_KEY, the master key for personal data at rest"
            )
        if len(data_key) < 32:
            raise ImproperlyConfigured("ZHENGWU_DATA_KEY 至少 32 个字符 / ZHENGWU_DATA_KEY must be at least 32 characters")
    # Set only while `manage.py rotate_data_key` runs (docs/deploy.md): the key the stored values were
    # encrypted under, so both keys read during the rotation; new values are always written under the new one.
    data_key_previous = env.get("ZHENGWU_DATA_KEY_PREVIOUS", "").strip()
    if data_key_previous:
        if data_key_previous == (data_key or secret_key):
            raise ImproperlyConfigured(
                "ZHENGWU_DATA_KEY_PREVIOUS 与当前密钥相同，轮换需要一个新的 ZHENGWU_DATA_KEY"
                " / ZHENGWU_DATA_KEY_PREVIOUS equals the current key: a rotation needs a new ZHENGWU_DATA_KEY"
            )
        if production and len(data_key_previous) < 32:
            raise ImproperlyConfigured(
                "ZHENGWU_DATA_KEY_PREVIOUS 至少 32 个字符 / ZHENGWU_DATA_KEY_PREVIOUS must be at least 32 characters"
            )

    database_url = env.get("DATABASE_URL", f"sqlite:///{BASE_DIR / 'var' / 'zhengwu.sqlite3'}")
    try:
        # Kept connections are pinged before a request's first query, so a worker that sat idle
        # through a database restart reconnects instead of failing that request (tests/failure/).
        database = dj_database_url.parse(database_url, conn_max_age=_int(env, "DB_CONN_MAX_AGE", 60),
                                         conn_health_checks=_bool(env, "DB_CONN_HEALTH_CHECKS", default=True))
    except Exception as exc:  # dj_database_url raises bare ValueError/KeyError subclasses
        raise ImproperlyConfigured(f"DATABASE_URL 无效：{exc} / invalid DATABASE_URL") from exc
    engine = database["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        database["CONN_MAX_AGE"] = 0
        database["OPTIONS"] = {
            # WAL + immediate transactions: readers never block the writer and two writers
            # queue on the busy timeout instead of failing with "database is locked" mid-transaction.
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA busy_timeout=20000;"
            ),
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif engine == "django.db.backends.postgresql" and _bool(env, "DB_SERVER_SIDE_BINDING", default=True):
        # Parameters bound by the server and statements a connection runs twice prepared (psycopg):
        # PostgreSQL plans a case's lock, its posts and its clocks once per connection instead of on
        # every call, which cut a case transition's time by a quarter (bench/bench_cases.py). A
        # pooler in transaction mode older than PgBouncer 1.21 loses prepared statements: set
        # DB_SERVER_SIDE_BINDING=false behind one (docs/deploy.md).
        database["OPTIONS"] = {"server_side_binding": True,
                               "prepare_threshold": _int(env, "DB_PREPARE_THRESHOLD", 2)}
    elif engine != "django.db.backends.postgresql":
        raise ImproperlyConfigured(f"只支持 SQLite 与 PostgreSQL：{engine} / only SQLite and PostgreSQL are supported")

    hosts_default = ["*"] if mode == "test" else ["localhost", "127.0.0.1", "[::1]"]
    log_level = env.get("LOG_LEVEL", "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ImproperlyConfigured(f"LOG_LEVEL 无效：{log_level!r} / invalid LOG_LEVEL")
    return Env(
        mode=mode,
        secret_key=secret_key,
        debug=debug,
        database=dict(database),
        database_url=database_url,
        allowed_hosts=_list(env, "ALLOWED_HOSTS", hosts_default),
        csrf_trusted_origins=_list(env, "CSRF_TRUSTED_ORIGINS", []),
        media_root=Path(env.get("MEDIA_ROOT", str(BASE_DIR / "var" / "media"))),
        static_root=Path(env.get("STATIC_ROOT", str(BASE_DIR / "var" / "static"))),
        sweeper_interval=_int(env, "SWEEPER_INTERVAL_SECONDS", 30, minimum=1),
        sweeper_stale_after=_int(env, "SWEEPER_STALE_AFTER_SECONDS", 180, minimum=1),
        log_level=log_level,
        otp_required_for_all_staff=_bool(env, "OTP_REQUIRED_FOR_ALL_STAFF", default=False),
        # Off in test mode: a whole test run logs in from 127.0.0.1 far faster than any person;
        # the limiter's own tests switch it on.
        rate_limit_enabled=_bool(env, "RATE_LIMIT_ENABLED", default=mode != "test"),
        rate_limit_login=_rate(env, "RATE_LIMIT_LOGIN", (20, 60)),
        rate_limit_progress=_rate(env, "RATE_LIMIT_PROGRESS", (60, 60)),
        rate_limit_submit=_rate(env, "RATE_LIMIT_SUBMIT", (30, 600)),
        csp_report_only=_bool(env, "CSP_REPORT_ONLY", default=False),
        # 网络安全法 §21: network logs kept no less than six months, so nothing shorter is accepted.
        audit_retention_days=_int(env, "AUDIT_RETENTION_DAYS", AUDIT_RETENTION_MIN_DAYS,
                                  minimum=AUDIT_RETENTION_MIN_DAYS),
        audit_archive_dir=Path(env.get("AUDIT_ARCHIVE_DIR", "").strip() or BASE_DIR / "var" / "audit-archive"),
        # The 审计管理员 account the daily archive (deploy/zhengwu-audit-archive.timer) acts as.
        audit_archive_user=env.get("AUDIT_ARCHIVE_USER", "").strip(),
        data_key=data_key,
        data_key_previous=data_key_previous,
    )
