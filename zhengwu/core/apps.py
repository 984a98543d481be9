from django.apps import AppConfig
from django.db.backends.signals import connection_created


class CoreConfig(AppConfig):
    name = "zhengwu.core"
    label = "core"
    verbose_name = "基础设施"

    def ready(self) -> None:
        from zhengwu.core.append_only import register_sqlite_gate

        connection_created.connect(register_sqlite_gate, dispatch_uid="zhengwu.core.audit_gate")
