from django.apps import AppConfig
from django.conf import settings
from django.core import checks
from django.db.backends.signals import connection_created


def previous_data_key_left_set(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """The old data key is for the rotation window only (docs/deploy.md §9): left set, it stays a live key."""
    if not getattr(settings, "ZHENGWU_DATA_KEY_PREVIOUS", ""):
        return []
    return [checks.Warning(
        "ZHENGWU_DATA_KEY_PREVIOUS 已设置：仅在轮换期间使用，`manage.py rotate_data_key --check` 显示全部完成后请删除",
        hint="remove ZHENGWU_DATA_KEY_PREVIOUS once rotate_data_key --check reports nothing left",
        id="zhengwu.W001")]


class CoreConfig(AppConfig):
    name = "zhengwu.core"
    label = "core"
    verbose_name = "基础设施"

    def ready(self) -> None:
        from zhengwu.core.append_only import register_sqlite_gate

        connection_created.connect(register_sqlite_gate, dispatch_uid="zhengwu.core.audit_gate")
        checks.register(previous_data_key_left_set, checks.Tags.security, deploy=True)
