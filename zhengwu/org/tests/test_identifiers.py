import pytest
from stdnum.cn import uscc as stdnum_uscc

from zhengwu.core.errors import ValidationFailed
from zhengwu.org.identifiers import (
    org_code_check_char,
    region_level_of,
    region_parent_code,
    uscc_build,
    uscc_is_valid,
    uscc_normalise,
    uscc_validate,
)

# RULES.md §9: verified real government codes.
VALID_USCC = [
    "11100000000013338W",
    "11330105002500287C",
    "11430000006122244L",
    "11450721348531435D",
    "115113010833722043",
    "91610800064834709T",
]


@pytest.mark.parametrize("code", VALID_USCC)
def test_the_six_verified_codes_are_valid(code):
    assert uscc_validate(code) == code


@pytest.mark.parametrize("raw, expected", [
    ("91610800064834709t", "91610800064834709T"),
    (" 9161 0800-0648 3470 9T ", "91610800064834709T"),
    ("９１６１０８０００６４８３４７０９Ｔ", "91610800064834709T"),
])
def test_case_whitespace_and_full_width_are_normalised(raw, expected):
    assert uscc_normalise(raw) == expected
    assert uscc_validate(raw) == expected


def test_a_wrong_check_character_is_rejected():
    with pytest.raises(ValidationFailed, match="校验位"):
        uscc_validate("11100000000013338X")


@pytest.mark.parametrize("letter", list("IOSVZ"))
def test_forbidden_letters_are_rejected(letter):
    code = "1110000000001333" + letter + "W"
    with pytest.raises(ValidationFailed, match="不允许的字符") as err:
        uscc_validate(code)
    assert err.value.field == "uscc"


@pytest.mark.parametrize("code", ["11100000000013338", "11100000000013338WW", ""])
def test_a_wrong_length_is_rejected(code):
    with pytest.raises(ValidationFailed, match="18 位"):
        uscc_validate(code)


def test_an_unknown_department_and_category_prefix_is_rejected_although_stdnum_accepts_it():
    first17 = "00330729002500017"
    code = first17 + stdnum_uscc.calc_check_digit(first17)
    assert stdnum_uscc.is_valid(code)
    with pytest.raises(ValidationFailed, match="机构类别"):
        uscc_validate(code)


def test_letter_prefixes_of_the_standard_are_accepted_although_stdnum_rejects_them():
    code = uscc_build(prefix="N2", region_code="330729", org_body="12345678")
    assert not stdnum_uscc.is_valid(code)
    assert uscc_is_valid(code)


def test_the_region_part_must_be_digits():
    first17 = "11A30729002500017"
    with pytest.raises(ValidationFailed, match="第 3–8 位"):
        uscc_validate(first17 + stdnum_uscc.calc_check_digit(first17))


def test_built_codes_carry_a_valid_organisation_code_and_check_character():
    code = uscc_build(prefix="11", region_code="330729", org_body="00250001")
    assert code.startswith("11330729002500017")
    assert stdnum_uscc.is_valid(code)
    # GB 11714: 3·0+7·0+9·2+10·5+5·0+8·0+4·0+2·1 = 70, 70 mod 11 = 4, 11 − 4 = 7
    assert org_code_check_char("00250001") == "7"


@pytest.mark.parametrize("code, level, parent", [
    ("330000", 1, None),
    ("330700", 2, "330000"),
    ("330729", 3, "330700"),
    ("110105", 3, "110100"),
    ("469001", 3, "460000"),
    ("429004", 3, "420000"),  # 省直辖县级市 (digits 3–4 = 90) hang directly from the province
    ("330729100", 4, "330729"),
    ("330729100201", 5, "330729100"),
])
def test_level_and_parent_follow_from_the_code(code, level, parent):
    assert region_level_of(code) == level
    assert region_parent_code(code) == parent


@pytest.mark.parametrize("code", ["33072", "3307291", "33072910020", "3307291002011", "33O729", "990000",
                                  "330729000", "330729100000", "330700100", "330029"])
def test_malformed_region_codes_are_rejected(code):
    with pytest.raises(ValidationFailed):
        region_level_of(code)
