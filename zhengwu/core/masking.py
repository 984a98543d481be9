"""Masking of personal data for lists, exports, logs and public pages (RULES.md §10)."""

from __future__ import annotations

import re


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


# 身份证 (18, or the old 15 digits), mobile numbers with or without +86, in running text; not inside a
# longer run of letters and digits (a case number, a hash).
_ID_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|\d{15})(?![0-9A-Za-z])")
_PHONE_IN_TEXT = re.compile(r"(?<![0-9A-Za-z])((?:\+?86[ -]?)?1[3-9]\d(?:[ -]?\d{4}){2})(?![0-9A-Za-z])")
_DOCUMENT = re.compile(r"[0-9A-Za-z]{8,40}")


def mask_personal_numbers(text: str) -> str:
    """Mask every 身份证 and mobile number found in free text (log lines, messages)."""
    text = _ID_IN_TEXT.sub(lambda m: mask_id_number(m.group(1)), text)
    return _PHONE_IN_TEXT.sub(lambda m: mask_phone(re.sub(r"[ -]", "", m.group(1))), text)


def looks_like_personal_number(text: str | None) -> bool:
    """A search term that is, or may be, a person's number: a document number (8–40 letters and
    digits with at least six digits: 身份证, passports, USCC), or a 身份证 / mobile number written with
    spaces or hyphens, alone or inside longer text. Case numbers (letters between hyphens) and item
    names do not qualify."""
    value = (text or "").strip()
    compact = value.replace(" ", "")
    if _DOCUMENT.fullmatch(compact) and sum(c.isdigit() for c in compact) >= 6:
        return True
    if _ID_IN_TEXT.fullmatch(re.sub(r"[ -]", "", value)):
        return True
    return mask_personal_numbers(value) != value  # one inside longer text: "张三 13912345678"
