"""Masking of personal data in audit rows shown or exported to the audit administrator (RULES.md §10)."""

from __future__ import annotations

import re
from typing import Any

from zhengwu.core.masking import mask_id_number, mask_name, mask_phone

_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
_NAME_KEYS = {"name", "real_name", "applicant_name", "contact_name", "agent_name", "person_name", "姓名"}
_PHONE_KEYS = {"phone", "mobile", "contact_phone", "telephone", "手机号码"}
_ID_KEYS = {"id_number", "id_no", "identity_number", "ric", "身份证号"}
# Organisation names are public; keys naming a body rather than a person are left alone.
_PUBLIC_NAME_PARENTS = {"department", "centre", "region", "window", "item"}


def mask_text(text: str) -> str:
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE.sub(lambda m: mask_phone(m.group(0)), text)


def _mask_value(key: str, value: Any, parent: str) -> Any:
    if isinstance(value, dict):
        return {k: _mask_value(k, v, key) for k, v in value.items()}
    if isinstance(value, list):
        return [_mask_value(key, v, parent) for v in value]
    if not isinstance(value, str):
        return value
    lowered = key.lower()
    if lowered in _ID_KEYS:
        return mask_id_number(value)
    if lowered in _PHONE_KEYS:
        return mask_phone(value)
    if lowered in _NAME_KEYS and parent not in _PUBLIC_NAME_PARENTS and not lowered.startswith("org"):
        return mask_name(value)
    return mask_text(value)


def mask_audit_data(data: Any) -> Any:
    """A copy of an event's data with names, phones and ID numbers masked, keys kept."""
    if isinstance(data, dict):
        return {k: _mask_value(k, v, "") for k, v in data.items()}
    return _mask_value("", data, "")
