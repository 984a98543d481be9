from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "zhengwu.catalog"
    label = "catalog"
    verbose_name = "政务服务事项"
