from django.apps import AppConfig

# Writes to these apps' tables may change what a public page shows (see selectors._public_cache).
_PUBLIC_DATA_APPS = frozenset({"catalog", "org"})


def _drop_public_cache(sender, **kwargs) -> None:
    meta = getattr(sender, "_meta", None)
    if meta is not None and meta.app_label in _PUBLIC_DATA_APPS:
        from zhengwu.portal.selectors import public_cache_clear

        public_cache_clear()


class PortalConfig(AppConfig):
    name = "zhengwu.portal"
    label = "portal"
    verbose_name = "门户"

    def ready(self) -> None:
        from django.db.models.signals import m2m_changed, post_delete, post_save

        for signal in (post_save, post_delete, m2m_changed):
            signal.connect(_drop_public_cache, dispatch_uid=f"portal.public_cache.{signal!r}")
