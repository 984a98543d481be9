"""The demo county's catalog: 270 published items built from data/catalog_sample.csv.

Everything the CSV does not hold is derived from it by fixed rules, so the result is the same on
every run and every machine (see data/README.md). Items are created and published through the
catalog services, so every rule of the 实施清单 is checked and every write is audited.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side

from zhengwu.catalog.codes import CaseKind, HandlingForm, ItemType, OnlineDepth, ResultType, ServiceObject
from zhengwu.catalog.models import ServiceItem
from zhengwu.catalog.services import item_create
from zhengwu.catalog.themes import STANDARD_THEMES
from zhengwu.core.errors import ValidationFailed
from zhengwu.org.models import Department, Position, Window

CSV_PATH = Path(__file__).resolve().parent / "data" / "catalog_sample.csv"
FORM_DIR = "catalog/forms/demo"
FORM_WORDS = ("申请书", "申请表", "登记表", "备案表", "审批表", "申报表")
OFFICE_HOURS = "周一至周五 上午 9:00—12:00，下午 13:30—17:00（法定节假日除外）"

# Fee items of the 13 fee rows. Standards recalled from the cited national notices, for the demo only.
_REG_FEE = ("不动产登记费", "住宅类每件 80 元；非住宅类每件 550 元（含第一本证书工本费）",
            "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
            True, "小微企业（含个体工商户）申请不动产登记免收登记费（财税〔2016〕79号）")
FEES: dict[str, tuple[str, str, str, bool, str]] = {
    "拖拉机/联合收割机注册登记": ("拖拉机、联合收割机号牌和行驶证工本费", "按省级价格主管部门核定的标准收取",
                          "《拖拉机和联合收割机登记规定》；省级价格主管部门收费文件", False, ""),
    "土地复垦费征收": ("土地复垦费", "按省人民政府规定的标准，根据损毁土地面积和复垦费用测算收取",
                "《土地复垦条例》第十八条", False, ""),
    "国有建设用地使用权及房屋所有权首次登记": _REG_FEE,
    "国有建设用地使用权首次登记": _REG_FEE,
    "国有建设用地使用权及房屋所有权转移登记": _REG_FEE,
    "抵押权首次登记": _REG_FEE,
    "宅基地使用权及房屋所有权首次登记": ("不动产权证书工本费", "农村不动产登记免收登记费，只收取证书工本费每本 10 元",
                           "《国家发展改革委 财政部关于不动产登记收费标准等有关问题的通知》（发改价格规〔2016〕2559号）",
                           False, ""),
    "居民身份证办理（首次申领、换领、补领，含临时）": (
        "居民身份证工本费", "首次申领、到期换领每证 20 元；丢失补领、损坏换领每证 40 元；临时居民身份证每证 10 元",
        "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）", True,
        "城市最低生活保障对象和农村有特殊困难的居民初次申领、换领时免收工本费"),
    "临时居民身份证办理": ("临时居民身份证工本费", "每证 10 元",
                   "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）", False, ""),
    "普通护照签发": ("普通护照工本费", "每本 120 元",
               "《国家发展改革委 财政部关于降低部分行政事业性收费标准的通知》（发改价格规〔2019〕914号）", False, ""),
    "机动车注册登记": ("机动车号牌和行驶证工本费", "汽车号牌每副 100 元，摩托车号牌每副 35 元；行驶证每本 10 元",
                "《国家发展改革委 财政部关于公安交通管理收费标准有关问题的通知》（发改价格〔2004〕2831号）", False, ""),
    "水资源费征收": ("水资源费", "按省级价格主管部门会同财政、水行政主管部门制定的标准收取",
               "《取水许可和水资源费征收管理条例》第二十八条", False, ""),
    "防空地下室易地建设审批及易地建设费核定": ("防空地下室易地建设费", "按应建防空地下室面积和省级价格、财政主管部门规定的标准计收",
                              "《中华人民共和国人民防空法》第二十二条", True, "廉租住房、经济适用住房等项目按规定减免"),
}

# Each standard above as an amount (FeeItem.amount_kind): fixed, a range spanning the listed
# amounts, or text where the amount depends on the case's own figures (area, volume, provincial rate).
FEE_AMOUNTS: dict[str, tuple[str, str | None, str | None]] = {
    "拖拉机、联合收割机号牌和行驶证工本费": ("text", None, None),
    "土地复垦费": ("text", None, None),
    "不动产登记费": ("range", "80.00", "550.00"),
    "不动产权证书工本费": ("fixed", "10.00", None),
    "居民身份证工本费": ("range", "10.00", "40.00"),
    "临时居民身份证工本费": ("fixed", "10.00", None),
    "普通护照工本费": ("fixed", "120.00", None),
    "机动车号牌和行驶证工本费": ("range", "10.00", "110.00"),
    "水资源费": ("text", None, None),
    "防空地下室易地建设费": ("text", None, None),
}


def _fee_row(fee: tuple[str, str, str, bool, str]) -> dict[str, Any]:
    kind, low, high = FEE_AMOUNTS[fee[0]]
    return {"order": 1, "name": fee[0], "standard": fee[1], "basis": fee[2], "reducible": fee[3],
            "reduction_basis": fee[4], "amount_kind": kind, "amount_min": Decimal(low) if low else None,
            "amount_max": Decimal(high) if high else None}


# 行政许可法 §45: time of these procedures is not counted; the Guangxi record (RULES §1.2c) shows a
# 15-day 机构评审 on a 节能审查 item.
SPECIAL_PROCEDURES: tuple[tuple[tuple[str, ...], str, int, str], ...] = (
    (("节能审查", "规划许可", "选址", "取水许可", "环境影响"), "expert_review", 15, "技术审查或专家评审"),
    (("特种设备",), "test", 10, "委托检验检测机构检验"),
    (("动物防疫", "检疫"), "quarantine", 1, "动物卫生监督机构检疫"),
    (("争议裁决", "权属争议"), "appraisal", 30, "委托鉴定、勘测"),
)

_ENTERPRISE_WORDS = ("企业", "公司", "经营", "单位", "合作社", "工程", "建设", "生产", "排污", "用地", "施工", "机构",
                     "民办", "社会团体", "个体工商户", "纳税人", "供应商", "娱乐", "场所", "药品", "设立")
_PERSON_WORDS = ("居民", "个人", "户口", "身份证", "护照", "结婚", "婚姻", "生育", "残疾", "老年", "退休", "养老",
                 "低保", "救助", "学生", "教师", "医师", "护士", "驾驶", "机动车", "宅基地", "退役", "军人", "烈士",
                 "优抚", "就业", "失业", "独生子女", "参保", "公积金", "死亡", "出生", "特困", "困难")
_OWN_AUTHORITY = {ItemType.PENALTY.value, ItemType.COERCION.value, ItemType.INSPECTION.value}


@dataclass(frozen=True)
class Row:
    index: int
    name: str
    item_type: str
    department: str
    legal: int
    promised: int
    immediate: bool
    visits: int
    fee: bool
    legal_basis: str
    materials: tuple[str, ...]
    provenance: str


def read_rows(path: Path = CSV_PATH) -> list[Row]:
    with path.open(encoding="utf-8", newline="") as fh:
        return [
            Row(index=i, name=r["item_name"].strip(), item_type=r["item_type_code"].strip(),
                department=r["department"].strip(), legal=int(r["legal_limit_wd"]),
                promised=int(r["promised_limit_wd"]), immediate=r["handling_type"].strip() == "即办件",
                visits=int(r["onsite_visits"]), fee=r["fee"].strip() == "是", legal_basis=r["legal_basis"].strip(),
                materials=tuple(m.strip() for m in r["main_materials"].split(";") if m.strip()),
                provenance=r["provenance"].strip())
            for i, r in enumerate(csv.DictReader(fh), start=1)
        ]


def basic_codes(rows: list[Row], province: str = "00") -> dict[int, str]:
    """12 characters: 2 catalog prefix (00 national; the province code where the basis is a
    provincial rule) + 2 department index + 2 item type + 3 main-item sequence + 000 (no sub-item).
    Department order and sequence follow the CSV, so the codes never change between runs."""
    dept_index = {name: i for i, name in enumerate(sorted({r.department for r in rows}), start=1)}
    seq: dict[tuple[str, str], int] = {}
    codes = {}
    for r in rows:
        key = (r.department, r.item_type)
        seq[key] = seq.get(key, 0) + 1
        prefix = province if r.legal_basis.startswith("省") else "00"
        codes[r.index] = f"{prefix}{dept_index[r.department]:02d}{r.item_type}{seq[key]:03d}000"
    return codes


def _split_budget(total: int, weights: tuple[int, ...]) -> list[int]:
    """Working days per step, summing to exactly `total` (the promised limit); the largest share
    takes the rounding remainder so no step is over budget."""
    parts = [total * w // sum(weights) for w in weights]
    biggest = weights.index(max(weights))
    parts[biggest] += total - sum(parts)
    return parts


def build_steps(row: Row) -> list[dict[str, Any]]:
    if row.immediate:
        if row.item_type in _OWN_AUTHORITY:
            names = (("现场检查", Position.REVIEWER), ("当场处理", Position.CHIEF_REPRESENTATIVE))
        else:
            names = (("收件受理", Position.CLERK), ("当场办结", Position.CHIEF_REPRESENTATIVE))
        return [{"order": i, "name": n, "role": role, "budget_days": 0} for i, (n, role) in enumerate(names, 1)]
    plan: tuple[tuple[str, str, int], ...]
    if row.item_type in _OWN_AUTHORITY:
        plan = (("立案", Position.REVIEWER, 1), ("调查取证", Position.REVIEWER, 5), ("审核", Position.SECTION_HEAD, 2),
                ("告知", Position.REVIEWER, 1), ("决定", Position.LEADER, 1), ("送达", Position.CLERK, 1))
    else:
        plan = (("收件", Position.CLERK, 0), ("受理", Position.CLERK, 1), ("审查", Position.REVIEWER, 4),
                ("决定", Position.CHIEF_REPRESENTATIVE, 2), ("制证送达", Position.CLERK, 1))
    budgets = _split_budget(row.promised, tuple(w for _, _, w in plan))
    return [{"order": i, "name": n, "role": role, "budget_days": b}
            for i, ((n, role, _), b) in enumerate(zip(plan, budgets, strict=True), start=1)]


def _service_objects(row: Row) -> list[str]:
    person = any(w in row.name for w in _PERSON_WORDS)
    enterprise = any(w in row.name for w in _ENTERPRISE_WORDS)
    if person and not enterprise:
        return [ServiceObject.NATURAL_PERSON.value]
    if enterprise and not person:
        return [ServiceObject.ENTERPRISE.value, ServiceObject.OTHER_ORGANISATION.value]
    return [ServiceObject.NATURAL_PERSON.value, ServiceObject.ENTERPRISE.value]


def _themes(row: Row) -> list[str]:
    return sorted(code for code, _, _, _, words in STANDARD_THEMES if any(w in row.name for w in words))


def _result(row: Row) -> tuple[str, str]:
    # 市场主体登记管理条例 §21: registration of a market entity issues its 营业执照.
    if re.search(r"(公司|企业|个体工商户|合作社|分支机构).*(设立|变更)登记", row.name):
        return "营业执照", ResultType.CERTIFICATE
    licence = re.search(r"([\u4e00-\u9fa5]{2,12}(许可证|执照|证书|登记证|资格证))", row.name)
    if licence:
        return licence.group(1), ResultType.CERTIFICATE
    if row.item_type == ItemType.LICENSING:
        return "准予行政许可决定书", ResultType.APPROVAL
    if row.item_type == ItemType.PENALTY:
        return "行政处罚决定书", ResultType.APPROVAL
    if row.item_type == ItemType.ADJUDICATION:
        return "行政裁决书", ResultType.APPROVAL
    if "登记" in row.name:
        return "登记结果通知", ResultType.OTHER
    return "办理结果告知书", ResultType.OTHER


def _online(row: Row) -> dict[str, Any]:
    """网办深度 from the visit count: 0 visits ⇒ 全程网办 (Ⅳ), 1 ⇒ 在线申办 (Ⅲ), 2 ⇒ 在线预审 (Ⅱ);
    items acted on by the agency's own authority (处罚, 强制, 检查) are only published (Ⅰ)."""
    if row.item_type in _OWN_AUTHORITY:
        return {"online_depth": OnlineDepth.DISCLOSURE, "supports_online": False,
                "handling_forms": [HandlingForm.WINDOW.value, HandlingForm.POST.value]}
    if row.visits == 0:
        return {"online_depth": OnlineDepth.FULLY_ONLINE, "supports_online": True, "supports_online_payment": row.fee,
                "supports_delivery": True, "handling_forms": [HandlingForm.WINDOW.value, HandlingForm.ONLINE_PC.value,
                                                              HandlingForm.ONLINE_MOBILE.value, HandlingForm.POST.value]}
    if row.visits == 1:
        return {"online_depth": OnlineDepth.ONLINE_APPLY, "supports_online": True, "supports_appointment": True,
                "handling_forms": [HandlingForm.WINDOW.value, HandlingForm.ONLINE_PC.value]}
    return {"online_depth": OnlineDepth.PRE_REVIEW, "supports_online": False, "supports_appointment": True,
            "handling_forms": [HandlingForm.WINDOW.value]}


def _material(order: int, name: str, forms: dict[str, str]) -> dict[str, Any]:
    is_form = any(w in name for w in FORM_WORDS)
    is_id = any(w in name for w in ("身份证", "身份证明", "户口簿", "营业执照", "执照"))
    shared = any(w in name for w in ("（部门共享）", "共享", "（税务部门共享）"))
    return {
        "order": order, "name": name,
        "source": "shared" if shared else "applicant",
        "issuer": "" if is_form or shared else ("公安机关" if "身份证" in name else ""),
        "form": "either", "original_count": 0 if shared else 1, "copy_count": 1 if is_id else 0,
        "required": "（如" not in name and "如有" not in name,
        "paper_spec": "A4",
        "notes": "请如实填写，由申请人签字或盖章" if is_form else "",
        "acceptance_standard": "内容完整、填写规范、签章齐全" if is_form else "真实有效，原件与复印件一致",
        "blank_form": forms.get(name, ""),
    }


_TITLE = "__FORM_TITLE__"


def blank_form_bytes(material_name: str) -> bytes:
    """A real, fillable one-page form titled with the material's name.

    openpyxl takes ~30 ms to write a workbook, too slow for ~190 forms per seed: the form is
    written once with a placeholder title and each copy only swaps the title (openpyxl writes it as
    an inline string in the sheet XML).
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in _form_template():
            if name.startswith("xl/"):
                data = data.replace(_TITLE.encode(), escape(material_name).encode())
            target.writestr(name, data)
    return out.getvalue()


@cache
def _form_template() -> tuple[tuple[str, bytes], ...]:
    """The form with a placeholder title, as the members of its zip file."""
    wb = Workbook()
    ws = wb.active
    ws.title = "申请表"
    thin = Side(style="thin", color="000000")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    ws.merge_cells("A1:D1")
    ws["A1"] = _TITLE
    ws["A1"].font = Font(size=16, bold=True)
    ws["A1"].alignment = Alignment(horizontal="center")
    fields = ["申请人（单位）名称", "统一社会信用代码 / 身份证件号码", "法定代表人 / 负责人", "联系人", "联系电话",
              "通讯地址", "申请事项", "申请内容及理由", "附件清单", "申请人签字（盖章）", "申请日期"]
    for row, label in enumerate(fields, start=3):
        ws.cell(row=row, column=1, value=label).border = box
        ws.merge_cells(start_row=row, start_column=2, end_row=row, end_column=4)
        for col in range(2, 5):
            ws.cell(row=row, column=col).border = box
        ws.row_dimensions[row].height = 60 if label in ("申请内容及理由", "附件清单") else 28
    ws.cell(row=len(fields) + 4, column=1, value="本人承诺所填内容及所附材料真实、有效，如有虚假，愿承担相应法律责任。")
    ws.column_dimensions["A"].width = 30
    for letter in "BCD":
        ws.column_dimensions[letter].width = 22
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    buffer = io.BytesIO()
    wb.save(buffer)
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source:
        return tuple((info.filename, source.read(info.filename)) for info in source.infolist())


def _ensure_forms(names: set[str]) -> dict[str, str]:
    """One stored form per distinct form-material name, named by its hash so reruns reuse it."""
    paths = {}
    for name in sorted(names):
        path = f"{FORM_DIR}/{hashlib.sha1(name.encode()).hexdigest()[:16]}.xlsx"
        if not default_storage.exists(path):
            saved = default_storage.save(path, ContentFile(blank_form_bytes(name)))
            if saved != path:  # a concurrent seed wrote it first; keep one file
                default_storage.delete(saved)
        paths[name] = path
    return paths


def _phones(department: Department, index: int) -> tuple[str, str]:
    centre = department.centre
    consult = department.consultation_phone or (centre.phone if centre is not None else "")
    complaint = department.complaint_phone or (centre.complaint_phone if centre is not None else "")
    consult = consult or f"0000-8{index:03d}0001"
    complaint = complaint or "12345"
    if re.sub(r"\D", "", consult) == re.sub(r"\D", "", complaint):
        complaint = "12345" if re.sub(r"\D", "", consult) != "12345" else f"0000-9{index:03d}0001"
    return consult, complaint


def build_spec(row: Row, *, basic_code: str, department: Department, dept_index: int,
               forms: dict[str, str]) -> dict[str, Any]:
    result_name, result_type = _result(row)
    consult, complaint = _phones(department, dept_index)
    first_law = re.match(r"(《[^》]+》)", row.legal_basis)
    law = first_law.group(1) if first_law else "有关法律法规"
    centre = department.centre
    steps = build_steps(row)
    fee = FEES.get(row.name) if row.fee else None
    specials = [
        {"kind": kind, "duration_value": days, "duration_unit": "working_days", "note": note}
        for words, kind, days, note in SPECIAL_PROCEDURES if any(w in row.name for w in words)
    ][:1]
    legal_note = "《中华人民共和国行政许可法》第四十二条、第八十二条：以工作日计" if row.item_type == ItemType.LICENSING else ""
    if row.legal == 0:
        legal_note = "法律法规未规定办结时限"
    spec: dict[str, Any] = {
        "name": row.name,
        "basic_code": basic_code,
        "item_type": row.item_type,
        "legal_basis": row.legal_basis,
        "exercise_level": "4",
        "implementer_nature": department.nature,
        "exercise_content": row.name,
        "legal_limit_value": row.legal,
        "legal_limit_note": legal_note,
        "promised_limit_value": row.promised,
        "promised_limit_note": "当场办结" if row.immediate else "自受理之日起计算",
        "case_kind": CaseKind.IMMEDIATE if row.immediate else CaseKind.PROMISED,
        "acceptance_conditions": f"符合{law}规定的条件，申请材料齐全、符合法定形式。",
        "process_description": "→".join(s["name"] for s in steps),
        "intermediary_services": "无",
        "quantity_limit": "无数量限制",
        "result_name": result_name,
        "result_type": result_type,
        "fee_required": fee is not None,
        "fee_basis": fee[2] if fee else "",
        "fees": [_fee_row(fee)] if fee else [],
        "service_objects": _service_objects(row),
        "onsite_visits": row.visits,
        "onsite_reason": {0: "", 1: "需当面核验申请人身份和材料原件"}.get(
            row.visits, "需当面核验材料原件，并到窗口领取办理结果"),
        "location": f"{centre.name}{('（' + centre.address + '）') if centre.address else ''}" if centre else
        department.address,
        "office_hours": (centre.opening_hours if centre and centre.opening_hours else OFFICE_HOURS),
        "consultation_method": "窗口咨询、电话咨询、网上咨询",
        "consultation_phone": consult,
        "complaint_phone": complaint,
        "materials": [_material(i, m, forms) for i, m in enumerate(dict.fromkeys(row.materials), start=1)],
        "steps": steps,
        "special_procedures": specials,
        "faqs": [{"order": 1, "question": "如何查询办理进度？",
                  "answer": "可凭办件编号和查询码在本网站“进度查询”栏目查询，或拨打咨询电话。"}],
        "themes": _themes(row),
        **_online(row),
    }
    return spec


@cache
def _rows() -> tuple[Row, ...]:
    return tuple(read_rows())


def seed_catalog(*, actor, departments: dict[str, Department],
                 windows_by_department: dict[int, list[Window]]) -> int:
    """Create and publish every CSV item that does not exist yet; return how many were created.

    `departments` is keyed by the department name used in the CSV. Existing items (same basic
    code) are left as they are, so a rerun changes nothing and returns 0.
    """
    rows = list(_rows())
    missing = sorted({r.department for r in rows} - set(departments))
    if missing:
        raise ValidationFailed(f"演示目录缺少部门：{'、'.join(missing)}", f"departments missing: {missing}")
    province = next(iter(departments.values())).region.code[:2] if departments else "00"
    codes = basic_codes(rows, province)
    existing = set(ServiceItem.objects.filter(basic_code__in=codes.values()).values_list("basic_code", flat=True))
    todo = [r for r in rows if codes[r.index] not in existing]
    if not todo:
        return 0
    forms = _ensure_forms({m for r in todo for m in r.materials if any(w in m for w in FORM_WORDS)})
    dept_index = {name: i for i, name in enumerate(sorted(departments), start=1)}
    created = 0
    with transaction.atomic():
        for row in todo:
            dept = departments[row.department]
            spec = build_spec(row, basic_code=codes[row.index], department=dept,
                              dept_index=dept_index[row.department], forms=forms)
            item_create(actor=actor, department=dept, spec=spec, windows=windows_by_department.get(dept.pk, []),
                        change_note="演示目录初始版本", publish=True)
            created += 1
    return created
