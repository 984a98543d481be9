"""The 实施清单 of one version as plain data (a "spec"), and the rules it must satisfy.

A spec is a dict of the version's element fields plus lists of materials, steps, fees, special
procedures, FAQs and theme codes. Services take specs, the Excel import produces them, the
export and the API are built from them, and the round-trip test compares them, so there is one
definition of "all elements" in the code base.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import models

from zhengwu.catalog.codes import (
    CaseKind,
    ExerciseLevel,
    FeeStandardKind,
    HandlingForm,
    HandlingScope,
    ImplementerNature,
    ItemType,
    LimitUnit,
    MaterialForm,
    MaterialSource,
    OnlineDepth,
    PowerSource,
    ResultType,
    ServiceObject,
    SpecialProcedureKind,
    SystemLevel,
)
from zhengwu.catalog.limits import to_working_days
from zhengwu.catalog.models import (
    FaqEntry,
    FeeItem,
    MaterialRequirement,
    ProcessStep,
    ServiceItemVersion,
    SpecialProcedure,
    Theme,
)
from zhengwu.org.models import Position

_BOOKKEEPING = {"id", "created_at", "updated_at", "item", "number", "status", "change_note", "published_at",
                "published_by", "effective_from", "effective_to", "created_by"}


def _concrete(model: type[models.Model], exclude: set[str]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if f.name not in exclude]


ELEMENT_FIELDS: list[models.Field] = _concrete(ServiceItemVersion, _BOOKKEEPING)
ELEMENT_NAMES: list[str] = [f.name for f in ELEMENT_FIELDS]
CHILDREN: dict[str, type[models.Model]] = {
    "materials": MaterialRequirement,
    "steps": ProcessStep,
    "fees": FeeItem,
    "special_procedures": SpecialProcedure,
    "faqs": FaqEntry,
}
CHILD_FIELDS: dict[str, list[models.Field]] = {
    key: _concrete(model, {"id", "version"}) for key, model in CHILDREN.items()
}
LIST_KEYS = (*CHILDREN, "themes")

DEFAULT_BASIC_CODE_REGEX = r"^[0-9]{2}[0-9A-Z]{10}$"
# USCC alphabet has no I, O, S, V, Z (GB 32100); then 行使层级 (A.2, 1–7); then the basic code.
DEFAULT_IMPLEMENTATION_CODE_REGEX = r"^[0-9A-HJ-NPQRTUWXY]{18}[1-7][0-9A-Z]{12}$"


def code_patterns() -> tuple[re.Pattern, re.Pattern]:
    """Both regexes are settings (ZHENGWU_CATALOG), since GB/T 39046 and the platforms disagree on
    the code lengths (RULES §1.4) and a province may use its own scheme."""
    conf = getattr(settings, "ZHENGWU_CATALOG", {}) or {}
    return (re.compile(conf.get("BASIC_CODE_REGEX", DEFAULT_BASIC_CODE_REGEX)),
            re.compile(conf.get("IMPLEMENTATION_CODE_REGEX", DEFAULT_IMPLEMENTATION_CODE_REGEX)))


def _field_default(field: models.Field) -> Any:
    if field.has_default():
        return field.get_default()
    if isinstance(field, models.FileField):
        return ""
    if field.null:
        return None
    if isinstance(field, models.CharField | models.TextField):
        return ""
    return None


def empty_spec() -> dict[str, Any]:
    spec: dict[str, Any] = {f.name: _field_default(f) for f in ELEMENT_FIELDS}
    for key in LIST_KEYS:
        spec[key] = []
    return spec


def child_defaults(key: str) -> dict[str, Any]:
    return {f.name: _field_default(f) for f in CHILD_FIELDS[key]}


def _value(obj: models.Model, field: models.Field) -> Any:
    value = getattr(obj, field.name)
    if isinstance(field, models.FileField):
        return value.name or ""
    return value


def spec_from_version(version: ServiceItemVersion) -> dict[str, Any]:
    """All elements of a version; uses prefetched children when present."""
    spec = {f.name: _value(version, f) for f in ELEMENT_FIELDS}
    for key in CHILDREN:
        rows = getattr(version, key).all()
        spec[key] = [{f.name: _value(row, f) for f in CHILD_FIELDS[key]} for row in rows]
    spec["themes"] = sorted(t.code for t in version.themes.all())
    return spec


def spec_merge(base: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """Apply partial changes: element keys replace values; a list key replaces the whole list."""
    unknown = set(changes) - set(ELEMENT_NAMES) - set(LIST_KEYS)
    if unknown:
        from zhengwu.core.errors import ValidationFailed

        raise ValidationFailed(f"未知的要素：{'、'.join(sorted(unknown))}", f"unknown elements: {sorted(unknown)}")
    merged = dict(base)
    for key, value in changes.items():
        if key in CHILDREN:
            merged[key] = [{**child_defaults(key), **row} for row in value]
        elif key == "themes":
            merged[key] = sorted(value)
        else:
            merged[key] = value
    return merged


def implementation_code_for(uscc: str, exercise_level: str, basic_code: str) -> str:
    return f"{uscc}{exercise_level}{basic_code}"


@dataclass(frozen=True)
class Problem:
    field: str
    message_zh: str
    message_en: str
    row: int | None = None  # 1-based position in a child list

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"field": self.field, "message": self.message_zh, "message_en": self.message_en}
        if self.row is not None:
            body["row"] = self.row
        return body


def _digits(phone: str) -> str:
    return re.sub(r"\D", "", phone or "")


def _choice(problems: list[Problem], spec: dict, name: str, choices: Any, label: str) -> None:
    if spec.get(name) not in choices.values:
        problems.append(Problem(name, f"{label}代码无效：{spec.get(name)!r}", f"invalid {name}: {spec.get(name)!r}"))


def _text_limits(problems: list[Problem], spec: dict) -> None:
    for field in ELEMENT_FIELDS:
        if isinstance(field, models.CharField) and not isinstance(field, models.FileField):
            value = spec.get(field.name)
            if value is not None and not isinstance(value, str):
                problems.append(Problem(field.name, f"{field.verbose_name}应为文本", f"{field.name} must be text"))
            elif value and field.max_length and len(value) > field.max_length:
                problems.append(Problem(field.name, f"{field.verbose_name}不能超过 {field.max_length} 个字符",
                                        f"{field.name} longer than {field.max_length}"))


def _check_limits(p: list[Problem], spec: dict[str, Any]) -> Decimal:
    """Legal vs promised limit and 即办件/承诺件 (RULES §1.5); returns the promise in WD."""
    legal_wd = to_working_days(spec["legal_limit_value"], spec["legal_limit_unit"])
    promised_wd = to_working_days(spec["promised_limit_value"], spec["promised_limit_unit"])
    # 优化营商环境条例 §36: the promise may shorten the statutory limit, never extend it.
    if spec["legal_limit_value"] and promised_wd > legal_wd:
        p.append(Problem("promised_limit_value", "承诺办结时限不能超过法定办结时限",
                         "promised limit exceeds the legal limit"))
    if spec["case_kind"] == CaseKind.IMMEDIATE and spec["promised_limit_value"] != 0:
        p.append(Problem("promised_limit_value", "即办件的承诺办结时限应为 0（当场办结）",
                         "an immediate item has a promised limit of 0"))
    if spec["case_kind"] == CaseKind.PROMISED and spec["promised_limit_value"] == 0:
        p.append(Problem("promised_limit_value", "承诺件须填写大于 0 的承诺办结时限",
                         "a promised item needs a promised limit above 0"))
    return promised_wd


def _check_visits(p: list[Problem], spec: dict[str, Any], forms: list[str]) -> None:
    """到现场次数 and 网办深度, the Wenzhou validator's rules (RULES §1.5)."""
    visits = spec["onsite_visits"]
    if visits > 0 and not (spec.get("onsite_reason") or "").strip():
        p.append(Problem("onsite_reason", "到现场次数不为 0 时，须说明必须现场办理的原因",
                         "a reason is required when on-site visits are above 0"))
    depth = spec["online_depth"]
    if depth == OnlineDepth.FULLY_ONLINE and visits != 0:
        p.append(Problem("onsite_visits", "网办深度为四级（全程网办）时，到现场次数应为 0",
                         "fully online items need 0 on-site visits"))
    if visits == 0 and not spec.get("supports_online") and HandlingForm.POST not in forms:
        p.append(Problem("handling_forms", "到现场次数为 0 且不支持网办时，办理形式须含快递申请",
                         "0 visits without online handling needs postal application"))
    if depth >= OnlineDepth.ONLINE_APPLY and not spec.get("supports_online"):
        p.append(Problem("supports_online", "网办深度三级及以上的事项应支持网办",
                         "online depth Ⅲ or Ⅳ means the item is handled online"))
    if spec.get("supports_online") and depth < OnlineDepth.ONLINE_APPLY:
        p.append(Problem("online_depth", "支持网办的事项网办深度至少为三级（在线申办）",
                         "an item handled online has depth Ⅲ or Ⅳ"))
    if depth == OnlineDepth.FULLY_ONLINE and not ({HandlingForm.ONLINE_PC, HandlingForm.ONLINE_MOBILE} & set(forms)):
        p.append(Problem("handling_forms", "全程网办事项的办理形式须含网上办理",
                         "fully online items need an online handling form"))


def _fee_amount(value: Any) -> Decimal | None | bool:
    """The amount as Decimal, None when blank, False when it is not a non-negative amount in 元."""
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError):
        return False
    if not amount.is_finite() or amount < 0 or amount >= Decimal("1e14") or amount != amount.quantize(Decimal("0.01")):
        return False
    return amount


def _check_fee_amounts(p: list[Problem], fee: dict[str, Any], i: int) -> None:
    """收费标准 as an amount (一口收费 charges only within it): fixed → one amount, range → low < high,
    text → no amount (the window types it with a note on each notice)."""
    kind = fee.get("amount_kind") or FeeStandardKind.TEXT
    low, high = _fee_amount(fee.get("amount_min")), _fee_amount(fee.get("amount_max"))
    if kind not in FeeStandardKind.values:
        p.append(Problem("fees.amount_kind", f"第 {i} 个收费项目的收费标准类型无效", f"fee {i}: invalid amount kind", i))
        return
    if low is False or high is False:
        p.append(Problem("fees.amount_min", f"第 {i} 个收费项目的金额应为不小于 0、最多两位小数的数字（元）",
                         f"fee {i}: amounts are non-negative numbers in yuan with at most 2 decimals", i))
        return
    if kind == FeeStandardKind.FIXED and (low is None or low <= 0 or high is not None):
        p.append(Problem("fees.amount_min", f"第 {i} 个收费项目为固定金额，须填写大于 0 的金额，且不填上限",
                         f"fee {i}: a fixed standard has one amount above 0 and no upper bound", i))
    elif kind == FeeStandardKind.RANGE and (low is None or high is None or not low < high):
        p.append(Problem("fees.amount_max", f"第 {i} 个收费项目为金额区间，须填写下限和上限，且下限小于上限",
                         f"fee {i}: a range needs a lower bound below its upper bound", i))
    elif kind == FeeStandardKind.TEXT and (low is not None or high is not None):
        p.append(Problem("fees.amount_min", f"第 {i} 个收费项目按文字标准计算，不填金额；能确定金额的请选固定金额或金额区间",
                         f"fee {i}: a text standard has no amounts", i))


def validate_spec(spec: dict[str, Any], *, uscc: str) -> list[Problem]:
    """Every rule of RULES §1.2–§1.5 (incl. the Wenzhou validator) a publishable version must meet.

    Returns all problems at once, so a form or an import row can show every one of them.
    """
    p: list[Problem] = []
    basic_re, impl_re = code_patterns()
    _text_limits(p, spec)
    if not (spec.get("name") or "").strip():
        p.append(Problem("name", "事项名称不能为空", "name is required"))
    basic = spec.get("basic_code") or ""
    if not basic_re.fullmatch(basic):
        p.append(Problem("basic_code", f"基本编码格式不正确：{basic!r}（应为 12 位，国家目录以 00 开头）",
                         f"basic code {basic!r} does not match the configured pattern"))
    _choice(p, spec, "item_type", ItemType, "事项类型")
    _choice(p, spec, "exercise_level", ExerciseLevel, "行使层级")
    _choice(p, spec, "power_source", PowerSource, "权力来源")
    _choice(p, spec, "implementer_nature", ImplementerNature, "实施主体性质")
    _choice(p, spec, "case_kind", CaseKind, "办件类型")
    _choice(p, spec, "result_type", ResultType, "结果类型")
    _choice(p, spec, "handling_scope", HandlingScope, "通办范围")
    _choice(p, spec, "legal_limit_unit", LimitUnit, "法定时限单位")
    _choice(p, spec, "promised_limit_unit", LimitUnit, "承诺时限单位")
    if spec.get("online_depth") not in OnlineDepth.values:
        p.append(Problem("online_depth", f"网办深度无效：{spec.get('online_depth')!r}（1–4 级）",
                         "online depth must be 1–4"))
    if spec.get("system_level") and spec["system_level"] not in SystemLevel.values:
        p.append(Problem("system_level", "运行系统层级无效", "invalid system level"))

    impl = spec.get("implementation_code") or ""
    expected = implementation_code_for(uscc, spec.get("exercise_level") or "", basic)
    if not impl_re.fullmatch(impl):
        p.append(Problem("implementation_code", f"实施编码格式不正确：{impl!r}",
                         f"implementation code {impl!r} does not match the configured pattern"))
    elif impl != expected:
        p.append(Problem("implementation_code",
                         f"实施编码应为 实施主体统一社会信用代码 + 行使层级 + 基本编码，即 {expected}",
                         f"implementation code must be USCC + level + basic code = {expected}"))

    if not (spec.get("legal_basis") or "").strip():
        p.append(Problem("legal_basis", "设定依据不能为空", "legal basis is required"))

    for name in ("legal_limit_value", "promised_limit_value", "onsite_visits"):
        value = spec.get(name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            p.append(Problem(name, "时限与次数应为非负整数", f"{name} must be a non-negative integer"))
    bad = {x.field for x in p}
    limits_ok = not bad & {"legal_limit_value", "promised_limit_value", "legal_limit_unit", "promised_limit_unit"}
    visits_ok = not bad & {"onsite_visits", "online_depth"}
    forms = spec.get("handling_forms") or []
    if not forms or any(f not in HandlingForm.values for f in forms):
        p.append(Problem("handling_forms", "办理形式须至少选一项，且为 GB/T 39046 A.5 代码",
                         "handling forms must be A.5 codes, at least one"))
    objects = spec.get("service_objects") or []
    if not objects or any(o not in ServiceObject.values for o in objects):
        p.append(Problem("service_objects", "服务对象须至少选一项，且为 GB/T 39046 A.4 代码",
                         "service objects must be A.4 codes, at least one"))
    promised_wd = _check_limits(p, spec) if limits_ok else None
    if visits_ok:
        _check_visits(p, spec, forms)

    fees = spec.get("fees") or []
    if spec.get("fee_required"):
        if not (spec.get("fee_basis") or "").strip():
            p.append(Problem("fee_basis", "是否收费为“是”时，须填写收费依据", "fee basis required when fees apply"))
        if not fees:
            p.append(Problem("fees", "是否收费为“是”时，须填写收费项目及标准", "fee items required when fees apply"))
    elif fees:
        p.append(Problem("fees", "不收费的事项不能列收费项目", "an item without fees cannot list fee items"))
    for i, fee in enumerate(fees, start=1):
        for name, label in (("name", "收费项目名称"), ("standard", "收费标准"), ("basis", "收费依据")):
            if not (fee.get(name) or "").strip():
                p.append(Problem(f"fees.{name}", f"第 {i} 个收费项目缺少{label}", f"fee {i}: {name} required", i))
        if fee.get("reducible") and not (fee.get("reduction_basis") or "").strip():
            p.append(Problem("fees.reduction_basis", f"第 {i} 个收费项目允许减免，须填写减免依据",
                             f"fee {i}: reduction basis required", i))
        _check_fee_amounts(p, fee, i)

    cphone, xphone = _digits(spec.get("consultation_phone", "")), _digits(spec.get("complaint_phone", ""))
    if not cphone:
        p.append(Problem("consultation_phone", "须填写咨询电话", "consultation phone required"))
    if not xphone:
        p.append(Problem("complaint_phone", "须填写监督投诉电话", "complaint phone required"))
    if cphone and cphone == xphone:
        p.append(Problem("complaint_phone", "咨询电话与监督投诉电话不能相同", "consultation and complaint phones must differ"))

    materials = spec.get("materials") or []
    names_seen: set[str] = set()
    for i, m in enumerate(materials, start=1):
        name = (m.get("name") or "").strip()
        if not name:
            p.append(Problem("materials.name", f"第 {i} 项材料缺少名称", f"material {i}: name required", i))
        elif name in names_seen:
            p.append(Problem("materials.name", f"材料“{name}”重复", f"material {name!r} listed twice", i))
        names_seen.add(name)
        if m.get("source") not in MaterialSource.values:
            p.append(Problem("materials.source", f"第 {i} 项材料来源渠道无效", f"material {i}: invalid source", i))
        if m.get("form") not in MaterialForm.values:
            p.append(Problem("materials.form", f"第 {i} 项材料形式无效", f"material {i}: invalid form", i))
        for name_ in ("original_count", "copy_count"):
            value = m.get(name_)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                p.append(Problem(f"materials.{name_}", f"第 {i} 项材料份数应为非负整数",
                                 f"material {i}: {name_} must be >= 0", i))
        for file_field in ("blank_form", "sample_file"):
            if m.get(file_field) and not default_storage.exists(m[file_field]):
                p.append(Problem(f"materials.{file_field}", f"第 {i} 项材料的文件不存在：{m[file_field]}",
                                 f"material {i}: file {m[file_field]} not found", i))
    if spec.get("result_sample") and not default_storage.exists(spec["result_sample"]):
        p.append(Problem("result_sample", f"结果样本文件不存在：{spec['result_sample']}", "result sample not found"))

    steps = spec.get("steps") or []
    if not steps:
        p.append(Problem("steps", "须至少有一个办理环节", "at least one process step is required"))
    budget = 0
    for i, s in enumerate(steps, start=1):
        if not (s.get("name") or "").strip():
            p.append(Problem("steps.name", f"第 {i} 个环节缺少名称", f"step {i}: name required", i))
        if s.get("role") not in Position.values:
            p.append(Problem("steps.role", f"第 {i} 个环节的办理岗位无效", f"step {i}: invalid role", i))
        value = s.get("budget_days")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            p.append(Problem("steps.budget_days", f"第 {i} 个环节的时限应为非负整数",
                             f"step {i}: budget must be >= 0", i))
        else:
            budget += value
    if promised_wd is not None and budget > promised_wd:
        limit = f"{promised_wd.normalize():f}"
        p.append(Problem("steps", f"各环节时限合计 {budget} 个工作日，超过承诺办结时限 {limit} 个工作日",
                         f"steps total {budget} WD, above the promised limit of {limit} WD"))
    orders = [s.get("order") for s in steps]
    if len(set(orders)) != len(orders):
        p.append(Problem("steps.order", "环节序号不能重复", "step order numbers must be unique"))

    kinds = [sp.get("kind") for sp in spec.get("special_procedures") or []]
    for i, sp in enumerate(spec.get("special_procedures") or [], start=1):
        if sp.get("kind") not in SpecialProcedureKind.values:
            p.append(Problem("special_procedures.kind", f"第 {i} 个特别程序种类无效",
                             f"special procedure {i}: invalid kind", i))
        if sp.get("duration_unit") not in LimitUnit.values:
            p.append(Problem("special_procedures.duration_unit", f"第 {i} 个特别程序时限单位无效",
                             f"special procedure {i}: invalid unit", i))
        if not isinstance(sp.get("duration_value"), int) or sp["duration_value"] <= 0:
            # 行政许可法 §45: the applicant must be told in writing how long it takes.
            p.append(Problem("special_procedures.duration_value", f"第 {i} 个特别程序须填写预计所需时间",
                             f"special procedure {i}: expected duration required", i))
    if len(set(kinds)) != len(kinds):
        p.append(Problem("special_procedures", "特别程序种类不能重复", "special procedure kinds must be unique"))

    for i, faq in enumerate(spec.get("faqs") or [], start=1):
        if not (faq.get("question") or "").strip() or not (faq.get("answer") or "").strip():
            p.append(Problem("faqs", f"第 {i} 条常见问题须有问题和解答", f"FAQ {i}: question and answer required", i))

    themes = spec.get("themes") or []
    if themes:
        known = set(Theme.objects.filter(code__in=themes).values_list("code", flat=True))
        missing = sorted(set(themes) - known)
        if missing:
            p.append(Problem("themes", f"未知的服务主题：{'、'.join(missing)}", f"unknown themes: {missing}"))
    return p
