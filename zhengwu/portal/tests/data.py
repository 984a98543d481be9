"""A small county for portal and browser tests: one county centre with windows, a township centre,
two departments and a few published items with every guide element filled in.

Org rows are made directly (fixtures); the catalog goes through the catalog's own services, so
the items are published exactly as staff would publish them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.files.uploadedfile import SimpleUploadedFile

from zhengwu.catalog.codes import CaseKind, ItemType, LimitUnit, MaterialSource, OnlineDepth, ResultType
from zhengwu.catalog.models import ServiceItem, Theme
from zhengwu.catalog.services import item_create, item_publish, material_file_attach
from zhengwu.catalog.themes import STANDARD_THEMES
from zhengwu.org.models import Department, Position, Region, ServiceCentre, Window

# A .docx is a zip; these bytes are enough to test type and disposition, not to open in Word.
DOCX_BYTES = b"PK\x03\x04" + b"zhengwu-blank-form" * 8
PDF_BYTES = b"%PDF-1.4\n% sample\n"
ACTOR = "test-fixture"


@dataclass
class County:
    region: Region
    centre: ServiceCentre
    township: ServiceCentre
    closed_centre: ServiceCentre
    market: Department
    civil: Department
    licence_window: Window
    civil_window: Window
    items: dict[str, ServiceItem] = field(default_factory=dict)


def ensure_themes() -> None:
    # Migration 0002 loads these; a transactional (live_server) test flushes them, so put them back.
    for order, (code, name, audience, kind, _keywords) in enumerate(STANDARD_THEMES):
        Theme.objects.get_or_create(code=code, defaults={"name": name, "audience": audience, "kind": kind,
                                                         "order": order})


def build_county() -> County:
    ensure_themes()
    region = Region.objects.create(code="130531", name="广宗县", level=Region.Level.COUNTY)
    township_region = Region.objects.create(code="130531100", name="广宗镇", level=Region.Level.TOWNSHIP,
                                            parent=region)
    centre = ServiceCentre.objects.create(
        name="广宗县政务服务中心", kind=ServiceCentre.Kind.COUNTY, region=region,
        address="广宗县冀南路 88 号", opening_hours="周一至周五 8:30-12:00，14:00-17:30（法定节假日除外）",
        phone="0319-7321234", complaint_phone="0319-7329999",
    )
    township = ServiceCentre.objects.create(
        name="广宗镇便民服务中心", kind=ServiceCentre.Kind.TOWNSHIP, region=township_region, parent=centre,
        address="广宗镇政府一楼", opening_hours="工作日 9:00-17:00", phone="0319-7325678",
    )
    closed = ServiceCentre.objects.create(name="旧城便民服务室", kind=ServiceCentre.Kind.VILLAGE,
                                          region=township_region, parent=township, is_active=False)
    market = Department.objects.create(
        name="广宗县行政审批局", uscc="11130531MB0000001X", region=region, centre=centre,
        consultation_phone="0319-7320001", complaint_phone="0319-7320002",
    )
    civil = Department.objects.create(
        name="广宗县民政局", uscc="11130531MB00000028", region=region, centre=centre,
        consultation_phone="0319-7320011", complaint_phone="0319-7320012",
    )
    licence_window = Window.objects.create(centre=centre, number="A01", name="市场准入综合窗口", department=market)
    civil_window = Window.objects.create(centre=centre, number="B03", name="民政业务窗口", department=civil)
    county = County(region, centre, township, closed, market, civil, licence_window, civil_window)

    county.items["licence"] = publish_item(
        department=market, basic_code="000132001000", name="个体工商户设立登记",
        item_type=ItemType.LICENSING, case_kind=CaseKind.PROMISED, legal=(15, LimitUnit.WORKING_DAYS),
        promised=(3, LimitUnit.WORKING_DAYS), onsite=1, depth=OnlineDepth.ONLINE_APPLY,
        service_objects=["1"], themes=["start_business"], windows=[licence_window],
        materials=[("个体工商户登记（备案）申请书", True), ("经营者身份证明", False)],
        fee=True,
    )
    county.items["company"] = publish_item(
        department=market, basic_code="000132002000", name="营业执照遗失补领",
        item_type=ItemType.LICENSING, case_kind=CaseKind.IMMEDIATE, legal=(20, LimitUnit.WORKING_DAYS),
        promised=(0, LimitUnit.WORKING_DAYS), onsite=0, depth=OnlineDepth.FULLY_ONLINE,
        service_objects=["2"], themes=["business_change"], windows=[licence_window],
        materials=[("补领申请书", False)],
    )
    county.items["marriage"] = publish_item(
        department=civil, basic_code="000107003000", name="内地居民结婚登记",
        item_type=ItemType.CONFIRMATION, case_kind=CaseKind.IMMEDIATE, legal=(0, LimitUnit.WORKING_DAYS),
        promised=(0, LimitUnit.WORKING_DAYS), onsite=1, depth=OnlineDepth.PRE_REVIEW,
        service_objects=["1"], themes=["marriage"], windows=[civil_window],
        materials=[("居民户口簿", False), ("居民身份证", False)],
    )
    county.items["elderly"] = publish_item(
        department=civil, basic_code="000120004000", name="高龄津贴申领",
        item_type=ItemType.PUBLIC_SERVICE, case_kind=CaseKind.PROMISED, legal=(20, LimitUnit.WORKING_DAYS),
        promised=(10, LimitUnit.WORKING_DAYS), onsite=0, depth=OnlineDepth.FULLY_ONLINE,
        service_objects=["1"], themes=["retirement"], windows=[civil_window],
        materials=[("居民身份证", False)],
    )
    county.items["draft"] = draft_item(department=civil, basic_code="000120005000", name="殡葬补贴申领草稿")
    return county


def _spec(*, basic_code, name, materials, item_type=ItemType.PUBLIC_SERVICE, case_kind=CaseKind.PROMISED,
          legal=(20, LimitUnit.WORKING_DAYS), promised=(5, LimitUnit.WORKING_DAYS), onsite=1,
          depth=OnlineDepth.DISCLOSURE, service_objects=(), themes=(), fee=False) -> dict:
    immediate = case_kind == CaseKind.IMMEDIATE
    return {
        "name": name, "basic_code": basic_code, "item_type": item_type,
        "legal_basis": f"《{name}管理办法》第十条", "acceptance_conditions": "申请人为本县居民或在本县登记的市场主体。",
        "legal_limit_value": legal[0], "legal_limit_unit": legal[1], "legal_limit_note": "自受理之日起计算",
        "promised_limit_value": promised[0], "promised_limit_unit": promised[1], "case_kind": case_kind,
        "result_name": f"{name}结果通知书", "result_type": ResultType.CERTIFICATE,
        "fee_required": fee, "fee_basis": "《工本费收费标准》冀价〔2020〕1号" if fee else "",
        "fees": [{"name": "证照工本费", "standard": "每本 10 元", "basis": "冀价〔2020〕1号"}] if fee else [],
        "service_objects": list(service_objects), "handling_forms": ["1", "2"], "online_depth": depth,
        "supports_online": depth >= OnlineDepth.ONLINE_APPLY, "onsite_visits": onsite,
        "onsite_reason": "需核验身份证件原件" if onsite else "",
        "location": "县政务服务中心一楼", "office_hours": "工作日 8:30-17:30",
        "consultation_phone": "0319-7320001", "complaint_phone": "0319-7320002",
        "materials": [
            {"order": order, "name": material_name, "source": MaterialSource.APPLICANT, "original_count": 1,
             "copy_count": 1, "required": order == 1, "paper_spec": "A4"}
            for order, (material_name, _with_form) in enumerate(materials, start=1)
        ],
        "steps": [
            {"order": 1, "name": "收件受理", "role": Position.CLERK, "budget_days": 0},
            {"order": 2, "name": "审查决定", "role": Position.REVIEWER, "budget_days": 0 if immediate else 2,
             "description": "审查材料的真实性与完整性"},
            {"order": 3, "name": "制证送达", "role": Position.CLERK, "budget_days": 0 if immediate else 1},
        ],
        "special_procedures": [{"kind": "expert_review", "duration_value": 10, "note": "必要时组织"}],
        "faqs": [{"question": "可以委托他人办理吗？", "answer": "可以，需提交授权委托书。"}],
        "themes": list(themes),
    }


def publish_item(*, department, basic_code, name, materials, windows=(), **kwargs) -> ServiceItem:
    spec = _spec(basic_code=basic_code, name=name, materials=materials, **kwargs)
    item = item_create(actor=ACTOR, department=department, spec=spec, windows=windows)
    draft = item.versions.get()
    for order, (_name, with_form) in enumerate(materials, start=1):
        if with_form:
            material = draft.materials.get(order=order)
            material_file_attach(actor=ACTOR, material=material, field="blank_form",
                                 upload=SimpleUploadedFile("form.docx", DOCX_BYTES))
            material_file_attach(actor=ACTOR, material=material, field="sample_file",
                                 upload=SimpleUploadedFile("sample.pdf", PDF_BYTES))
    item_publish(actor=ACTOR, item=item)
    item.refresh_from_db()
    return item


def draft_item(*, department, basic_code, name) -> ServiceItem:
    return item_create(actor=ACTOR, department=department,
                       spec=_spec(basic_code=basic_code, name=name, materials=[("申请表", False)],
                                  service_objects=["1"]))
