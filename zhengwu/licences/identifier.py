"""电子证照标识 (RULES.md §7): 1.2.156.3005.2.<类型代码>.<颁发机构代码>.<流水号>.<版本号>.<校验位>."""

from __future__ import annotations

import re
from dataclasses import dataclass

from stdnum.exceptions import ValidationError as StdnumError
from stdnum.iso7064 import mod_37_36

from zhengwu.core.errors import ValidationFailed

ROOT = "1.2.156.3005.2"
_PART = re.compile(r"^[0-9A-Z]+$")
_VERSION = re.compile(r"^\d{3}$")


@dataclass(frozen=True)
class Identifier:
    type_code: str
    issuer_code: str
    serial: str
    version: str
    check: str

    @property
    def body(self) -> str:
        return self.type_code + self.issuer_code + self.serial + self.version

    def __str__(self) -> str:
        return f"{ROOT}.{self.type_code}.{self.issuer_code}.{self.serial}.{self.version}.{self.check}"


def _check_part(label_zh: str, label_en: str, value: str) -> None:
    if not value or not _PART.match(value):
        raise ValidationFailed(f"{label_zh}只能由大写字母和数字组成：{value!r}",
                               f"{label_en} must be upper-case letters and digits", field=label_en)


def build_identifier(*, type_code: str, issuer_code: str, serial: str, version: int | str = 1) -> str:
    _check_part("证照类型代码", "type_code", type_code)
    _check_part("颁发机构代码", "issuer_code", issuer_code)
    _check_part("流水号", "serial", serial)
    version_text = f"{int(version):03d}"
    if not _VERSION.match(version_text):
        raise ValidationFailed("版本号应为 001–999", "version must be 001–999", field="version")
    # ISO/IEC 7064 MOD 37,36 over the parts without dots; alphabet 0-9A-Z.
    check = mod_37_36.calc_check_digit(type_code + issuer_code + serial + version_text)
    return str(Identifier(type_code, issuer_code, serial, version_text, check))


def parse_identifier(value: str) -> Identifier:
    """Split and check an identifier; raise ValidationFailed naming what is wrong."""
    text = (value or "").strip().upper()
    if not text.startswith(ROOT + "."):
        raise ValidationFailed(f"电子证照标识应以 {ROOT} 开头", f"identifier must start with {ROOT}")
    parts = text[len(ROOT) + 1:].split(".")
    if len(parts) != 5:
        raise ValidationFailed("电子证照标识应有类型代码、颁发机构代码、流水号、版本号和校验位五段",
                               "identifier needs type, issuer, serial, version and check parts")
    type_code, issuer_code, serial, version, check = parts
    for zh, en, part in (("证照类型代码", "type_code", type_code), ("颁发机构代码", "issuer_code", issuer_code),
                         ("流水号", "serial", serial)):
        _check_part(zh, en, part)
    if not _VERSION.match(version):
        raise ValidationFailed("版本号应为三位数字", "version must be three digits")
    try:
        mod_37_36.validate(type_code + issuer_code + serial + version + check)
    except StdnumError:
        raise ValidationFailed("电子证照标识校验位错误", "identifier check character is wrong") from None
    return Identifier(type_code, issuer_code, serial, version, check)


def is_valid_identifier(value: str) -> bool:
    try:
        parse_identifier(value)
    except ValidationFailed:
        return False
    return True
