from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "zhengwu.supervision"
    label = "supervision"
    verbose_name = "电子监察"

    def ready(self) -> None:
        from zhengwu.supervision import notices

        notices.register()
