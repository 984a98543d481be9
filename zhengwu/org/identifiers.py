"""Identifier checks for the organisation model (RULES.md §9).

- 行政区划代码 (GB/T 2260 + 国家统计局 统计用区划代码): 6 digits down to county, 9 township, 12 village.
- 统一社会信用代码 (GB 32100-2015): 18 characters with a mod-31 check character.
- 组织机构代码 (GB 11714): 8 characters + a mod-11 check, the body of a USCC (positions 9–17).
"""

from __future__ import annotations

import re
import unicodedata

from stdnum.cn import uscc as stdnum_uscc

from zhengwu.core.errors import ValidationFailed

# Provincial-level prefixes in use since 1997 (GB/T 2260); 71 台湾, 81 香港, 82 澳门 are listed in the standard.
PROVINCE_PREFIXES = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82"]
)

LEVEL_PROVINCE, LEVEL_PREFECTURE, LEVEL_COUNTY, LEVEL_TOWNSHIP, LEVEL_VILLAGE = 1, 2, 3, 4, 5

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# 登记管理部门代码 + 机构类别代码 combinations accepted by the reference validators (RULES.md §9).
USCC_PREFIXES = frozenset(
    ["11", "12", "13", "19", "21", "29", "31", "32", "33", "34", "35", "39", "41", "49", "51", "52", "53", "59", "61", "62", "69", "71", "72", "79", "81", "89", "91", "92", "93", "A1", "A9", "N1", "N2", "N3", "N9", "Y1"]
)
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{2}[0-9]{6}[0-9A-HJ-NP-RTUW-Y]{10}$")
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def _fold(value: str) -> str:
    # Full-width digits and letters (１１０１…) are common in text typed with a Chinese IME.
    return unicodedata.normalize("NFKC", value or "")


def region_code_normalise(code: str) -> str:
    return re.sub(r"\s+", "", _fold(code))


def region_level_of(code: str) -> int:
    """The level a GB/T 2260 / statistical code denotes; raises ValidationFailed for a malformed code."""
    code = region_code_normalise(code)
    if not code.isascii() or not code.isdigit() or len(code) not in (6, 9, 12):
        raise ValidationFailed(
            "区划代码应为 6 位（县级及以上）、9 位（乡级）或 12 位（村级）数字",
            "a region code has 6 (county and above), 9 (township) or 12 (village) digits",
            field="code",
        )
    if code[:2] not in PROVINCE_PREFIXES:
        raise ValidationFailed(f"区划代码的省级代码 {code[:2]} 不存在", f"no province has the prefix {code[:2]}",
                               field="code")
    if len(code) == 12:
        if code[9:] == "000":
            raise ValidationFailed("村级代码的后 3 位不能为 000", "the village part of a 12-digit code cannot be 000",
                                   field="code")
        return LEVEL_VILLAGE
    if len(code) == 9:
        if code[6:] == "000":
            raise ValidationFailed("乡级代码的后 3 位不能为 000", "the township part of a 9-digit code cannot be 000",
                                   field="code")
        if code[4:6] == "00":
            raise ValidationFailed("乡级代码的前 6 位应为县级代码", "a township code must start with a county code",
                                   field="code")
        return LEVEL_TOWNSHIP
    if code[2:6] == "0000":
        return LEVEL_PROVINCE
    if code[4:6] == "00":
        return LEVEL_PREFECTURE
    if code[2:4] == "00":
        raise ValidationFailed("县级代码的地级部分不能为 00", "a county code needs a prefecture part", field="code")
    return LEVEL_COUNTY


def region_parent_code(code: str) -> str | None:
    """The code of the division directly above, or None for a province.

    Counties under 省直辖县级行政区划 (digits 3–4 = 90) hang directly from the province.
    """
    code = region_code_normalise(code)
    level = region_level_of(code)
    if level == LEVEL_PROVINCE:
        return None
    if level == LEVEL_PREFECTURE:
        return code[:2] + "0000"
    if level == LEVEL_COUNTY:
        return code[:2] + "0000" if code[2:4] == "90" else code[:4] + "00"
    if level == LEVEL_TOWNSHIP:
        return code[:6]
    return code[:9]


def region_significant_prefix(code: str) -> str:
    """The digits a descendant's code starts with: 33 for 330000, 3307 for 330700, the code itself below."""
    level = region_level_of(code)
    if level == LEVEL_PROVINCE:
        return code[:2]
    if level == LEVEL_PREFECTURE:
        return code[:4]
    return code


def uscc_normalise(value: str) -> str:
    """Strip spaces and hyphens, fold full-width characters and upper-case (a lower-case check letter is common)."""
    return re.sub(r"[\s\-]+", "", _fold(value)).upper()


def uscc_validate(value: str) -> str:
    """Return the normalised code or raise ValidationFailed.

    python-stdnum's `cn.uscc` computes the GB 32100 check character, but it is looser than the
    standard on the first two characters (any digits) and stricter on their alphabet (digits
    only, so the valid A1/N1/Y1 codes fail): the shape and the prefix list are checked here.
    """
    code = uscc_normalise(value)
    if len(code) != 18:
        raise ValidationFailed(f"统一社会信用代码应为 18 位，当前为 {len(code)} 位",
                               f"a USCC has 18 characters, got {len(code)}", field="uscc")
    bad = sorted({c for c in code if c not in USCC_ALPHABET})
    if bad:
        raise ValidationFailed(f"统一社会信用代码含有不允许的字符：{''.join(bad)}（不使用 I、O、S、V、Z）",
                               f"characters not allowed in a USCC: {''.join(bad)} (I, O, S, V, Z are never used)",
                               field="uscc")
    if code[:2] not in USCC_PREFIXES:
        raise ValidationFailed(f"统一社会信用代码的登记管理部门和机构类别代码 {code[:2]} 无效",
                               f"invalid registration department and category {code[:2]}", field="uscc")
    if not _USCC_SHAPE.match(code):
        raise ValidationFailed("统一社会信用代码第 3–8 位应为行政区划代码（数字）",
                               "positions 3–8 of a USCC are the region code (digits)", field="uscc")
    if stdnum_uscc.calc_check_digit(code[:17]) != code[17]:
        raise ValidationFailed("统一社会信用代码校验位错误", "the USCC check character is wrong", field="uscc")
    return code


def uscc_is_valid(value: str) -> bool:
    try:
        uscc_validate(value)
    except ValidationFailed:
        return False
    return True


def org_code_check_char(body: str) -> str:
    """GB 11714 组织机构代码 check character for an 8-digit body (weights 3 7 9 10 5 8 4 2, mod 11)."""
    if len(body) != 8 or not body.isdigit():
        raise ValueError("组织机构代码本体应为 8 位数字 / the body must be 8 digits")
    remainder = 11 - sum(int(d) * w for d, w in zip(body, _ORG_CODE_WEIGHTS, strict=True)) % 11
    return {10: "X", 11: "0"}.get(remainder, str(remainder))


def uscc_build(*, prefix: str, region_code: str, org_body: str) -> str:
    """A valid USCC from its parts: prefix (e.g. 11 机关), the registering region, an 8-digit body."""
    if prefix not in USCC_PREFIXES or len(region_code) != 6 or not region_code.isdigit():
        raise ValueError("前缀或区划代码无效 / invalid prefix or region code")
    first17 = prefix + region_code + org_body + org_code_check_char(org_body)
    return first17 + stdnum_uscc.calc_check_digit(first17)
