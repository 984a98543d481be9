"""Small, fixed-default factories for catalog tests (org rows are created directly: the org app's
own factories may change under us)."""

from __future__ import annotations

import itertools
from typing import Any

from stdnum.cn import uscc as uscc_check

from zhengwu.accounts.models import User
from zhengwu.catalog.codes import CaseKind, HandlingForm, ItemType, OnlineDepth, ServiceObject
from zhengwu.catalog.models import ServiceItem
from zhengwu.catalog.services import item_create, item_publish
from zhengwu.org.models import Department, Position, Region, ServiceCentre, StaffPost, Window

_seq = itertools.count(1)


def make_uscc(n: int) -> str:
    body = f"11330100{n:09d}"
    return body + uscc_check.calc_check_digit(body)


def region() -> Region:
    obj, _ = Region.objects.get_or_create(code="330104", defaults={"name": "示范县", "level": Region.Level.COUNTY})
    return obj


def centre(name: str = "示范县政务服务中心") -> ServiceCentre:
    obj, _ = ServiceCentre.objects.get_or_create(name=name, defaults={"kind": ServiceCentre.Kind.COUNTY,
                                                                      "region": region()})
    return obj


def department(name: str | None = None, **kw: Any) -> Department:
    n = next(_seq)
    return Department.objects.create(name=name or f"县测试局{n}", uscc=kw.pop("uscc", make_uscc(n)),
                                     region=region(), centre=kw.pop("centre", centre()), **kw)


def window(dept: Department | None = None, **kw: Any) -> Window:
    n = next(_seq)
    return Window.objects.create(centre=centre(), number=kw.pop("number", f"W{n}"), name=kw.pop("name", f"窗口{n}"),
                                 department=dept, **kw)


def user(username: str | None = None, **kw: Any) -> User:
    return User.objects.create_user(username=username or f"user{next(_seq)}", password="x-Passw0rd!", **kw)


def staff(position: str = Position.CLERK, dept: Department | None = None, **kw: Any) -> User:
    u = user(**kw)
    StaffPost.objects.create(user=u, position=position, department=dept,
                             centre=centre() if dept is None else None)
    return u


def basic_code(n: int | None = None) -> str:
    return f"00{(n if n is not None else next(_seq)):010d}"


def spec(**overrides: Any) -> dict[str, Any]:
    """A valid 承诺件 spec: 20 WD legal, 5 WD promised, three steps within the promise."""
    base: dict[str, Any] = {
        "name": "食品经营许可（新办）",
        "basic_code": basic_code(),
        "item_type": ItemType.LICENSING,
        "legal_basis": "《中华人民共和国食品安全法》第三十五条",
        "legal_limit_value": 20,
        "promised_limit_value": 5,
        "case_kind": CaseKind.PROMISED,
        "acceptance_conditions": "申请人取得市场主体资格",
        "result_name": "准予行政许可决定书",
        "result_type": "certificate",
        "service_objects": [ServiceObject.ENTERPRISE],
        "handling_forms": [HandlingForm.WINDOW, HandlingForm.ONLINE_PC],
        "supports_online": True,
        "online_depth": OnlineDepth.ONLINE_APPLY,
        "onsite_visits": 1,
        "onsite_reason": "核验原件",
        "consultation_phone": "0571-87000001",
        "complaint_phone": "12345",
        "materials": [
            {"order": 1, "name": "食品经营许可申请书", "copy_count": 0},
            {"order": 2, "name": "营业执照", "original_count": 1, "copy_count": 1},
        ],
        "steps": [
            {"order": 1, "name": "受理", "role": Position.CLERK, "budget_days": 1},
            {"order": 2, "name": "审查", "role": Position.REVIEWER, "budget_days": 2},
            {"order": 3, "name": "决定", "role": Position.CHIEF_REPRESENTATIVE, "budget_days": 1},
        ],
        "themes": ["food", "permits"],
    }
    base.update(overrides)
    return base


def published_item(dept: Department | None = None, actor: Any = "test", **overrides: Any) -> ServiceItem:
    dept = dept or department()
    item = item_create(actor=actor, department=dept, spec=spec(**overrides))
    item_publish(actor=actor, item=item)
    item.refresh_from_db()
    return item
