"""Applicant identifier checks (RULES.md §9).

居民身份证 (GB 11643-1999): the check character and the birth date are always validated. The area
code is checked only for a known province prefix: codes are never reused, so a retired county
code such as 440524 is still a valid part of an old number (python-stdnum's `cn.ric.validate`
rejects it against its list of current codes, which is why only its check-digit function is used).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from stdnum.cn import ric

from zhengwu.core.errors import ValidationFailed
from zhengwu.org.identifiers import PROVINCE_PREFIXES, uscc_validate

_ID18 = re.compile(r"^\d{17}[\dX]$")


def id_card_normalise(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).upper()


def id_card_validate(value: str, *, today: dt.date | None = None) -> str:
    """Return the normalised 18-character number or raise ValidationFailed."""
    number = id_card_normalise(value)
    if not _ID18.match(number):
        raise ValidationFailed("居民身份证号码应为 18 位（末位可为 X）", "an ID card number has 18 characters (last may be X)",
                               field="applicant_id_number")
    if number[:2] not in PROVINCE_PREFIXES:
        raise ValidationFailed(f"身份证号码的地址码 {number[:6]} 无效", f"invalid area code {number[:6]}",
                               field="applicant_id_number")
    try:
        born = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationFailed("身份证号码中的出生日期无效", "the birth date in the ID number is invalid",
                               field="applicant_id_number") from None
    if born.year < 1850 or born > (today or dt.date.today()):  # noqa: DTZ011 - a calendar date, not a moment
        raise ValidationFailed("身份证号码中的出生日期无效", "the birth date in the ID number is invalid",
                               field="applicant_id_number")
    if ric.calc_check_digit(number) != number[17]:
        raise ValidationFailed("身份证号码校验位错误", "the ID card check character is wrong",
                               field="applicant_id_number")
    return number


def applicant_id_validate(id_type: str, value: str) -> str:
    """Validate by type: 身份证 by GB 11643, 统一社会信用代码 by GB 32100; other documents by shape only."""
    if id_type == "id_card":
        return id_card_validate(value)
    if id_type == "uscc":
        try:
            return uscc_validate(value)
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message_zh, exc.message_en, field="applicant_id_number") from None
    number = re.sub(r"\s+", "", unicodedata.normalize("NFKC", value or "")).upper()
    if not 5 <= len(number) <= 40 or not number.isalnum():
        raise ValidationFailed("证件号码格式不正确", "invalid document number", field="applicant_id_number")
    return number
