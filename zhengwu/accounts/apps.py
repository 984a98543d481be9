from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhengwu.accounts"
    label = "accounts"
    verbose_name = "账户与权限"

    def ready(self):
        from zhengwu.accounts import signals  # noqa: F401
