import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengwu.core.errors import ValidationFailed
from zhengwu.licences.identifier import ROOT, build_identifier, is_valid_identifier, parse_identifier

# RULES.md §7: real identifiers seen in production systems.
ZHEJIANG = "1.2.156.3005.2.11100000000013338W009.11330105002500287C.2025052201.002.0"
HUNAN = "1.2.156.3005.2.11100000000013338W011.11430000006122244L.20230000403.001.U"
# RULES abbreviates the root as "…"; the check covers only the parts after it, so it is complete.
THIRD_TAIL = "11100000MB03271699022.340100.000000016.001.9"


@pytest.mark.parametrize("identifier", [ZHEJIANG, HUNAN, f"{ROOT}.{THIRD_TAIL}"])
def test_real_identifiers_validate(identifier):
    parsed = parse_identifier(identifier)
    assert str(parsed) == identifier
    rebuilt = build_identifier(type_code=parsed.type_code, issuer_code=parsed.issuer_code, serial=parsed.serial,
                               version=parsed.version)
    assert rebuilt == identifier


def test_parts_of_a_real_identifier():
    parsed = parse_identifier(HUNAN)
    assert parsed.type_code == "11100000000013338W011"
    assert parsed.issuer_code == "11430000006122244L"
    assert parsed.serial == "20230000403"
    assert parsed.version == "001"
    assert parsed.check == "U"


@pytest.mark.parametrize("bad", [
    ZHEJIANG[:-1] + "1",                       # wrong check character
    HUNAN.replace(".001.", ".002."),           # version changed, check not
    HUNAN.replace("20230000403", "20230000404"),
    HUNAN.replace("1.2.156.3005.2", "1.2.156.3005.3"),
    HUNAN.rsplit(".", 1)[0],                   # check missing
    HUNAN.replace(".001.", ".01."),
    "",
])
def test_wrong_identifiers_are_refused(bad):
    assert not is_valid_identifier(bad)
    with pytest.raises(ValidationFailed):
        parse_identifier(bad)


def test_build_refuses_lower_case_and_dots():
    with pytest.raises(ValidationFailed):
        build_identifier(type_code="11100000000013338w009", issuer_code="11330105002500287C", serial="1")
    with pytest.raises(ValidationFailed):
        build_identifier(type_code="11100000000013338W009", issuer_code="1133.0105", serial="1")


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@given(serial=st.text(alphabet=_ALNUM, min_size=1, max_size=20), version=st.integers(1, 999),
       position=st.integers(0, 1000), replacement=st.sampled_from(_ALNUM))
def test_any_single_character_change_is_detected(serial, version, position, replacement):
    identifier = build_identifier(type_code="11100000000013338W009", issuer_code="11330105002500287C",
                                  serial=serial, version=version)
    assert is_valid_identifier(identifier)
    # Change one character of the serial: ISO 7064 MOD 37,36 catches every single substitution.
    index = position % len(serial)
    if serial[index] == replacement:
        return
    altered_serial = serial[:index] + replacement + serial[index + 1:]
    altered = identifier.replace(f".{serial}.{version:03d}.", f".{altered_serial}.{version:03d}.")
    assert not is_valid_identifier(altered)
