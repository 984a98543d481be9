from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zhengwu.catalog.demo import _split_budget
from zhengwu.catalog.limits import compression_suggestion, format_limit, to_working_days


@pytest.mark.parametrize(("value", "unit", "wd"), [
    (20, "working_days", "20.0"), (28, "calendar_days", "20.0"), (60, "calendar_days", "42.9"),
    (3, "months", "66.0"), (4, "hours", "0.5"), (0, "working_days", "0.0"),
])
def test_to_working_days(value, unit, wd):
    assert to_working_days(value, unit) == Decimal(wd)


def _s(legal, promised=0, unit="working_days"):
    return compression_suggestion(legal_value=legal, legal_unit=unit, promised_value=promised, promised_unit=unit)


@pytest.mark.parametrize(("legal", "cut", "suggested"), [
    (3, 1, 2), (7, 1, 6), (8, 3, 5), (15, 3, 12), (16, 5, 11), (20, 5, 15), (30, 5, 25),
    (31, 10, 21), (66, 10, 56), (67, 30, 37), (90, 30, 60),
])
def test_bands_with_boundaries_in_the_lower_band(legal, cut, suggested):
    s = _s(legal)
    assert (s.cut_wd, s.suggested_wd, s.basis_label) == (cut, suggested, "法定时限")


def test_current_promise_is_the_basis_when_set():
    s = _s(20, 5)
    assert (s.basis_label, s.cut_wd, s.suggested_wd) == ("承诺时限", 1, 4)


def test_months_are_converted():
    s = _s(2, unit="months")
    assert (s.basis_wd, s.cut_wd, s.suggested_wd) == (Decimal("44.0"), 10, 34)


def test_nothing_to_suggest_below_three_days_or_without_limits():
    assert _s(2) is None
    assert _s(0) is None


def test_format_limit():
    assert [format_limit(0, "working_days"), format_limit(5, "working_days"), format_limit(3, "months"),
            format_limit(60, "calendar_days")] == ["当场办结", "5 个工作日", "3 个月", "60 个自然日"]


@given(legal=st.integers(min_value=0, max_value=400), promised=st.integers(min_value=0, max_value=400),
       unit=st.sampled_from(["working_days", "calendar_days", "months", "hours"]))
def test_suggestion_is_never_longer_than_its_basis_and_at_least_one_day(legal, promised, unit):
    s = compression_suggestion(legal_value=legal, legal_unit=unit, promised_value=promised, promised_unit=unit)
    basis = to_working_days(promised or legal, unit)
    if basis < 3:
        assert s is None
    else:
        assert s is not None
        assert 1 <= s.suggested_wd <= basis and s.cut_wd in {1, 3, 5, 10, 30}


@given(total=st.integers(min_value=0, max_value=300),
       weights=st.lists(st.integers(min_value=0, max_value=9), min_size=1, max_size=8).filter(lambda w: sum(w) > 0))
def test_step_budgets_always_sum_to_the_promise(total, weights):
    parts = _split_budget(total, tuple(weights))
    assert sum(parts) == total and all(p >= 0 for p in parts)
