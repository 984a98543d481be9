"""Code lists of the catalog (RULES.md §1.3), as named enums.

The stored value is the code used on the national exchange tables where one exists, so an
export to a provincial platform needs no translation; the label is the Chinese term. Where two
code sets are in use for one idea (服务对象), both are kept and mapped at the interface.
"""

from __future__ import annotations

from django.db import models


class ItemType(models.TextChoices):
    # GB/T 39046 A.1; "00" is only the group heading 行政权力事项, never an item's type.
    LICENSING = "01", "行政许可"
    PENALTY = "02", "行政处罚"
    COERCION = "03", "行政强制"
    LEVY = "04", "行政征收"
    BENEFIT = "05", "行政给付"
    INSPECTION = "06", "行政检查"
    CONFIRMATION = "07", "行政确认"
    REWARD = "08", "行政奖励"
    ADJUDICATION = "09", "行政裁决"
    OTHER_POWER = "10", "其他行政权力"
    PUBLIC_SERVICE = "20", "公共服务"
    # Local extensions seen on provincial platforms (RULES §1.3).
    INTERNAL_APPROVAL = "30", "政府内部审批"
    CONVENIENCE = "31", "依申请便民服务"


POWER_ITEM_TYPES = frozenset(t.value for t in ItemType if t.value < "20")


class ExerciseLevel(models.TextChoices):
    # GB/T 39046 A.2 行使层级
    NATIONAL = "1", "国家级"
    PROVINCIAL = "2", "省级"
    CITY = "3", "市级"
    COUNTY = "4", "县级"
    TOWNSHIP = "5", "镇（乡、街道）级"
    VILLAGE = "6", "村（社区）级"
    TIERED = "7", "分级管理"


class ImplementerNature(models.TextChoices):
    # GB/T 39046 A.3 实施主体性质
    STATUTORY = "1", "法定机关"
    AUTHORISED = "2", "授权组织"
    ENTRUSTED = "3", "受委托组织"
    OTHER = "9", "其他"


class ServiceObject(models.TextChoices):
    """服务对象 as GB/T 39046 A.4 codes them; this is the set stored on versions."""

    NATURAL_PERSON = "1", "自然人"
    ENTERPRISE = "2", "企业法人"
    PUBLIC_INSTITUTION = "3", "事业法人"
    SOCIAL_ORGANISATION = "4", "社会组织法人"
    GOVERNMENT = "5", "行政机关"
    OTHER_ORGANISATION = "6", "其他组织"


class ServiceObjectExchange(models.TextChoices):
    """服务对象 as the platform exchange tables code them (Shandong import, Beijing 好差评)."""

    NATURAL_PERSON = "1", "自然人"
    ENTERPRISE = "2", "企业法人"
    PUBLIC_INSTITUTION = "3", "事业法人"
    SOCIAL_ORGANISATION = "4", "社会组织法人"
    NON_LEGAL_ENTERPRISE = "5", "非法人企业"
    GOVERNMENT = "6", "行政机关"
    OTHER_ORGANISATION = "9", "其他组织"


_GB_TO_EXCHANGE = {
    ServiceObject.NATURAL_PERSON: ServiceObjectExchange.NATURAL_PERSON,
    ServiceObject.ENTERPRISE: ServiceObjectExchange.ENTERPRISE,
    ServiceObject.PUBLIC_INSTITUTION: ServiceObjectExchange.PUBLIC_INSTITUTION,
    ServiceObject.SOCIAL_ORGANISATION: ServiceObjectExchange.SOCIAL_ORGANISATION,
    ServiceObject.GOVERNMENT: ServiceObjectExchange.GOVERNMENT,
    ServiceObject.OTHER_ORGANISATION: ServiceObjectExchange.OTHER_ORGANISATION,
}
_EXCHANGE_TO_GB = {v: k for k, v in _GB_TO_EXCHANGE.items()}
# A.4 has no 非法人企业; such an applicant is an organisation without legal personality.
_EXCHANGE_TO_GB[ServiceObjectExchange.NON_LEGAL_ENTERPRISE] = ServiceObject.OTHER_ORGANISATION


def service_object_to_exchange(code: str) -> str:
    """GB/T 39046 A.4 code → exchange-table code (5 行政机关 → 6, 6 其他组织 → 9, others equal)."""
    try:
        return _GB_TO_EXCHANGE[ServiceObject(code)].value
    except ValueError:
        raise ValueError(f"未知的服务对象代码（GB/T 39046 A.4）：{code!r}") from None


def service_object_from_exchange(code: str) -> str:
    """Exchange-table code → GB/T 39046 A.4 code; 5 非法人企业 becomes 6 其他组织 (A.4 has no such class)."""
    try:
        return _EXCHANGE_TO_GB[ServiceObjectExchange(code)].value
    except ValueError:
        raise ValueError(f"未知的服务对象代码（交换表）：{code!r}") from None


class HandlingForm(models.TextChoices):
    # GB/T 39046 A.5 办理形式 (multi-valued)
    WINDOW = "1", "窗口办理"
    ONLINE_PC = "2", "电脑端网上办理"
    ONLINE_MOBILE = "3", "移动端网上申请"
    POST = "4", "快递申请"
    OTHER = "9", "其他"


class CaseKind(models.TextChoices):
    # GB/T 39046 A.6 办件类型
    IMMEDIATE = "1", "即办件"
    PROMISED = "2", "承诺件"
    OTHER = "9", "其他"


class SpecialProcedureCategory(models.TextChoices):
    # GB/T 39046 A.7 特别程序种类, as a case records it.
    EXTENSION = "1", "延长审批"
    OTHER = "2", "除延长审批之外的情况"


class SpecialProcedureKind(models.TextChoices):
    # 行政许可法 §45: the time these take is not counted in the limit and must be told in writing.
    HEARING = "hearing", "听证"
    TENDER = "tender", "招标"
    AUCTION = "auction", "拍卖"
    TEST = "test", "检验"
    INSPECTION = "inspection", "检测"
    QUARANTINE = "quarantine", "检疫"
    APPRAISAL = "appraisal", "鉴定"
    EXPERT_REVIEW = "expert_review", "专家评审"


def special_procedure_category(kind: str) -> str:
    """Every §45 kind stops the clock without using the §42 extension, so it is category 2."""
    SpecialProcedureKind(kind)
    return SpecialProcedureCategory.OTHER.value


class HandlingScope(models.TextChoices):
    # 通办范围 (GB/T 39046 Table 4 #33)
    NONE = "none", "不通办"
    COUNTY = "county", "跨县通办"
    CITY = "city", "跨市通办"
    PROVINCE = "province", "跨省通办"
    NATIONAL = "national", "全国通办"


class PowerSource(models.TextChoices):
    # 权力来源 (exchange tables)
    OWN = "1", "法定本级行使"
    DEVOLVED = "2", "上级下放"
    AUTHORISED_UPPER = "3", "上级授权"
    AUTHORISED_PEER = "4", "同级授权"
    ENTRUSTED_UPPER = "5", "上级委托"
    ENTRUSTED_PEER = "6", "同级委托"


class OnlineDepth(models.IntegerChoices):
    # 网上办理深度 (Inspur labels, RULES §1.5)
    DISCLOSURE = 1, "Ⅰ级 事项公开"
    PRE_REVIEW = 2, "Ⅱ级 在线预审"
    ONLINE_APPLY = 3, "Ⅲ级 在线申办"
    FULLY_ONLINE = 4, "Ⅳ级 全程网办"


class LimitUnit(models.TextChoices):
    WORKING_DAYS = "working_days", "工作日"
    CALENDAR_DAYS = "calendar_days", "自然日"
    MONTHS = "months", "个月"
    HOURS = "hours", "小时"


class ResultType(models.TextChoices):
    CERTIFICATE = "certificate", "证照"
    APPROVAL = "approval", "批文"
    OTHER = "other", "其他"


class SystemLevel(models.TextChoices):
    # 运行系统层级
    NATIONAL = "national", "国家级"
    PROVINCIAL = "provincial", "省级"
    CITY = "city", "市级"


class MaterialSource(models.TextChoices):
    # 来源渠道
    APPLICANT = "applicant", "申请人自备"
    GOVERNMENT = "government", "政府部门核发"
    INTERMEDIARY = "intermediary", "中介机构出具"
    SHARED = "shared", "部门共享获取"
    OTHER = "other", "其他"


class FeeStandardKind(models.TextChoices):
    # How a 收费标准 reads as an amount (一口收费 charges only within it, 行政许可法 §58):
    # one fixed amount, a range, or a rule that needs the case's own figures (area, pages…).
    FIXED = "fixed", "固定金额"
    RANGE = "range", "金额区间"
    TEXT = "text", "按文字标准计算"


class MaterialForm(models.TextChoices):
    PAPER = "paper", "纸质"
    ELECTRONIC = "electronic", "电子"
    EITHER = "either", "纸质或电子"


class ThemeAudience(models.TextChoices):
    NATURAL_PERSON = "natural", "自然人"
    LEGAL_PERSON = "legal", "法人"


class ThemeKind(models.TextChoices):
    TOPIC = "topic", "服务主题"
    LIFE_EVENT = "life_event", "人生事件"
