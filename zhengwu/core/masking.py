"""Masking of personal data for lists, exports, logs and public pages (RULES.md §10)."""

from __future__ import annotations


def mask_name(name: str | None) -> str:
    """Keep the surname: 张三 → 张*, 欧阳娜娜 → 欧***; organisations are not masked by this."""
    if not name:
        return ""
    name = name.strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(value: str | None) -> str:
    """身份证: keep the first 6 and last 4 (110105********002X); shorter values keep 1 + 1."""
    if not value:
        return ""
    value = value.strip()
    if len(value) >= 15:
        return value[:6] + "*" * (len(value) - 10) + value[-4:]
    if len(value) <= 2:
        return "*" * len(value)
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_phone(value: str | None) -> str:
    """Mobile 13812341234 → 138****1234; any other number keeps its first 3 and last 4 digits."""
    if not value:
        return ""
    digits = value.strip()
    if len(digits) >= 8:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    return "*" * (len(digits) - 2) + digits[-2:] if len(digits) > 2 else "*" * len(digits)
