"""Factories with fixed defaults (no random statuses): the personas in conftest.py build on them."""

from __future__ import annotations

import factory
from factory.django import DjangoModelFactory

from zhengwu.accounts.models import User
from zhengwu.org.identifiers import region_level_of, uscc_build
from zhengwu.org.models import Department, Position, Region, ServiceCentre, StaffPost, Window

PASSWORD = "Test#Pass2026"


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    real_name = "王小明"
    phone = "13800138000"
    kind = User.Kind.STAFF
    admin_role = ""
    must_change_password = False
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj: User, create, extracted, **kwargs):  # type: ignore[misc]
        if create:
            obj.save()


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = "330729"
    name = "清溪县"
    level = factory.LazyAttribute(lambda o: region_level_of(o.code))
    parent = None


class CentreFactory(DjangoModelFactory):
    class Meta:
        model = ServiceCentre

    name = "清溪县政务服务中心"
    kind = ServiceCentre.Kind.COUNTY
    region = factory.SubFactory(RegionFactory)
    address = "清溪县人民路 1 号"
    opening_hours = "周一至周五 8:30–12:00，14:00–17:30"
    phone = "0579-12345678"


class DepartmentFactory(DjangoModelFactory):
    class Meta:
        model = Department

    name = factory.Sequence(lambda n: f"县第{n}局")
    region = factory.SubFactory(RegionFactory)
    uscc = factory.Sequence(lambda n: uscc_build(prefix="11", region_code="330729", org_body=f"{n + 1:08d}"))
    nature = Department.Nature.STATUTORY
    centre = None


class WindowFactory(DjangoModelFactory):
    class Meta:
        model = Window

    centre = factory.SubFactory(CentreFactory)
    number = factory.Sequence(lambda n: f"{n + 1:02d}")
    name = factory.LazyAttribute(lambda o: f"{o.department.short_name or o.department.name}窗口"
                                 if o.department else "综合窗口")
    department = None
    is_comprehensive = factory.LazyAttribute(lambda o: o.department is None)


class StaffPostFactory(DjangoModelFactory):
    class Meta:
        model = StaffPost

    user = factory.SubFactory(UserFactory)
    position = Position.REVIEWER
    department = None
    centre = None
    window = None
