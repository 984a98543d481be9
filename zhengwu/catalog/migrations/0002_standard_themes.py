# Reference data: the standard 服务主题 / 人生事件 (frozen copy of zhengwu/catalog/themes.py).

from django.db import migrations

THEMES = [
    ('birth', '出生', 'natural', 'life_event'),
    ('school', '上学', 'natural', 'life_event'),
    ('employment', '就业', 'natural', 'life_event'),
    ('marriage', '结婚', 'natural', 'life_event'),
    ('childbearing', '生育', 'natural', 'life_event'),
    ('housing', '住房', 'natural', 'life_event'),
    ('medical', '就医', 'natural', 'life_event'),
    ('travel', '出行', 'natural', 'life_event'),
    ('retirement', '退休', 'natural', 'life_event'),
    ('after_death', '身后事', 'natural', 'life_event'),
    ('household', '户籍', 'natural', 'life_event'),
    ('assistance', '社会救助', 'natural', 'topic'),
    ('veterans', '退役军人', 'natural', 'topic'),
    ('social_security', '社会保障', 'natural', 'topic'),
    ('start_business', '开办企业', 'legal', 'life_event'),
    ('permits', '准营', 'legal', 'life_event'),
    ('construction', '工程建设', 'legal', 'life_event'),
    ('business_change', '变更', 'legal', 'life_event'),
    ('business_closure', '注销', 'legal', 'life_event'),
    ('food', '食品药品', 'legal', 'topic'),
    ('agriculture', '农林牧渔', 'legal', 'topic'),
    ('environment', '生态环境', 'legal', 'topic'),
    ('transport', '交通运输', 'legal', 'topic'),
    ('culture_tourism', '文化旅游', 'legal', 'topic'),
    ('education_org', '教育培训', 'legal', 'topic'),
    ('safety', '安全生产', 'legal', 'topic'),
    ('health_org', '医疗卫生', 'legal', 'topic'),
    ('social_org', '社会组织', 'legal', 'topic'),
]


def load(apps, schema_editor):
    Theme = apps.get_model("catalog", "Theme")
    for order, (code, name, audience, kind) in enumerate(THEMES, start=1):
        Theme.objects.get_or_create(code=code, defaults={"name": name, "audience": audience, "kind": kind,
                                                          "order": order})


def unload(apps, schema_editor):
    apps.get_model("catalog", "Theme").objects.filter(code__in=[row[0] for row in THEMES],
                                                      versions__isnull=True).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(load, unload),
    ]
