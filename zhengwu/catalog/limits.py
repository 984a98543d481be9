"""Time limits as (value, unit): conversion to working days for comparisons and figures, and the
流程再造 compression suggestion.

A catalog compares limits given in different units (行政复议 counts calendar days, 行政许可法 §82
working days, some regulations months). For comparisons only, we convert to working days:

- working days: as given;
- calendar days: × 5/7 (weekends only; the holidays of a given year are not known for an
  abstract limit), rounded to one decimal;
- months: × 22 (≈ the working days of an average month, the seeds' "1–3 months ≈ 22–66 WD");
- hours: ÷ 8 (one working day = 8 office hours).

A case's real deadline never uses these: the work calendar counts the actual days.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from zhengwu.catalog.codes import LimitUnit

WD_PER_MONTH = Decimal(22)
HOURS_PER_WD = Decimal(8)


def to_working_days(value: int | None, unit: str) -> Decimal:
    value_d = Decimal(value or 0)
    if unit == LimitUnit.WORKING_DAYS:
        result = value_d
    elif unit == LimitUnit.CALENDAR_DAYS:
        result = value_d * 5 / 7
    elif unit == LimitUnit.MONTHS:
        result = value_d * WD_PER_MONTH
    elif unit == LimitUnit.HOURS:
        result = value_d / HOURS_PER_WD
    else:
        raise ValueError(f"未知的时限单位：{unit!r}")
    return result.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


_UNIT_TEXT = {LimitUnit.WORKING_DAYS: "个工作日", LimitUnit.CALENDAR_DAYS: "个自然日", LimitUnit.MONTHS: "个月",
              LimitUnit.HOURS: "小时"}


def format_limit(value: int | None, unit: str) -> str:
    """5 个工作日, 60 个自然日, 3 个月, 4 小时; 0 is 当场办结."""
    if value is None:
        return ""
    if value == 0:
        return "当场办结"
    return f"{value} {_UNIT_TEXT[LimitUnit(unit)]}"


@dataclass(frozen=True)
class CompressionSuggestion:
    basis_wd: Decimal
    basis_label: str
    band: str
    cut_wd: int
    suggested_wd: int


# (upper bound inclusive in WD, band label, cut in WD). A value on a boundary belongs to the lower
# band: 7 WD is "3–7" (−1), 15 is "7–15" (−3), 30 is "15–30" (−5), 66 (= 3 months) is "1–3 个月" (−10).
# Between 30 and 66 WD we apply the month band, since 1 month ≈ 22 WD lies below 30.
_BANDS: tuple[tuple[Decimal, str, int], ...] = (
    (Decimal(7), "3–7 天", 1),
    (Decimal(15), "7–15 天", 3),
    (Decimal(30), "15–30 天", 5),
    (Decimal(66), "1–3 个月", 10),
)


def compression_suggestion(*, legal_value: int, legal_unit: str, promised_value: int,
                           promised_unit: str) -> CompressionSuggestion | None:
    """Suggest a promised limit by the seeds' rule, applied to the current promised limit if there
    is one, otherwise to the legal limit. Below 3 WD there is nothing to suggest (already on the
    spot or nearly so); the suggestion never goes below 1 WD.
    """
    if promised_value:
        basis, label = to_working_days(promised_value, promised_unit), "承诺时限"
    elif legal_value:
        basis, label = to_working_days(legal_value, legal_unit), "法定时限"
    else:
        return None
    if basis < 3:
        return None
    band, cut = "3 个月以上", 30
    for upper, band_label, band_cut in _BANDS:
        if basis <= upper:
            band, cut = band_label, band_cut
            break
    suggested = max(int(basis) - cut, 1)
    return CompressionSuggestion(basis_wd=basis, basis_label=label, band=band, cut_wd=cut, suggested_wd=suggested)
