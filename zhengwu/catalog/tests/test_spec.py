import pytest

from zhengwu.catalog.spec import empty_spec, implementation_code_for, spec_merge, validate_spec
from zhengwu.catalog.tests import factories as f

pytestmark = pytest.mark.django_db
USCC = f.make_uscc(900)


def _spec(**overrides):
    s = spec_merge(empty_spec(), f.spec(**overrides))
    if "implementation_code" not in overrides:
        s["implementation_code"] = implementation_code_for(USCC, s["exercise_level"], s["basic_code"])
    return s


def _fields(spec):
    return {p.field for p in validate_spec(spec, uscc=USCC)}


def _fee(**kw):
    return {"name": "工本费", "standard": "每本 10 元", "basis": "价格文件", **kw}


def test_valid_spec_has_no_problems():
    assert validate_spec(_spec(), uscc=USCC) == []


@pytest.mark.parametrize("fee", [
    _fee(amount_kind="fixed", amount_min="10.00"),
    _fee(amount_kind="range", amount_min="0", amount_max="550"),
    _fee(amount_kind="text"),
    _fee(),  # a row without a kind reads as a text standard
])
def test_fee_standards_that_read_as_amounts_are_accepted(fee):
    assert validate_spec(_spec(fee_required=True, fee_basis="物价文件", fees=[fee]), uscc=USCC) == []


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": " "}, "name"),
        ({"basic_code": "0012"}, "basic_code"),
        ({"item_type": "00"}, "item_type"),
        ({"legal_basis": ""}, "legal_basis"),
        ({"promised_limit_value": 25}, "promised_limit_value"),
        # 即办件 ⇒ promised 0
        ({"case_kind": "1", "promised_limit_value": 3}, "promised_limit_value"),
        ({"case_kind": "2", "promised_limit_value": 0, "steps": []}, "promised_limit_value"),
        ({"onsite_visits": 2, "onsite_reason": ""}, "onsite_reason"),
        # Wenzhou: 网办深度四级 ⇒ 到现场次数应为 0
        ({"online_depth": 4, "onsite_visits": 1}, "onsite_visits"),
        # Wenzhou: 0 次且不支持网办 ⇒ 办理形式须含邮寄申请
        ({"onsite_visits": 0, "supports_online": False, "online_depth": 1, "handling_forms": ["1"]},
         "handling_forms"),
        # Wenzhou: 是否收费=是 ⇒ 收费依据
        ({"fee_required": True, "fee_basis": "",
          "fees": [{"name": "工本费", "standard": "10元/本", "basis": "价格文件"}]}, "fee_basis"),
        ({"fee_required": True, "fee_basis": "物价文件"}, "fees"),
        ({"fee_required": False, "fees": [{"name": "工本费", "standard": "10元", "basis": "x"}]}, "fees"),
        # 收费标准 as an amount: fixed → one amount above 0, range → low < high, text → no amount
        ({"fee_required": True, "fee_basis": "物价文件", "fees": [_fee(amount_kind="fixed")]}, "fees.amount_min"),
        ({"fee_required": True, "fee_basis": "物价文件", "fees": [_fee(amount_kind="fixed", amount_min="0")]},
         "fees.amount_min"),
        ({"fee_required": True, "fee_basis": "物价文件",
          "fees": [_fee(amount_kind="fixed", amount_min="10", amount_max="20")]}, "fees.amount_min"),
        ({"fee_required": True, "fee_basis": "物价文件",
          "fees": [_fee(amount_kind="range", amount_min="50", amount_max="50")]}, "fees.amount_max"),
        ({"fee_required": True, "fee_basis": "物价文件", "fees": [_fee(amount_kind="range", amount_min="5")]},
         "fees.amount_max"),
        ({"fee_required": True, "fee_basis": "物价文件", "fees": [_fee(amount_kind="text", amount_min="5")]},
         "fees.amount_min"),
        ({"fee_required": True, "fee_basis": "物价文件", "fees": [_fee(amount_kind="fixed", amount_min="10.001")]},
         "fees.amount_min"),
        ({"fee_required": True, "fee_basis": "物价文件", "fees": [_fee(amount_kind="fixed", amount_min="-1")]},
         "fees.amount_min"),
        ({"fee_required": True, "fee_basis": "物价文件", "fees": [_fee(amount_kind="weekly")]}, "fees.amount_kind"),
        # Wenzhou: 咨询电话 ≠ 投诉电话 (compared by digits)
        ({"consultation_phone": "0571-12345", "complaint_phone": "0571 12345"}, "complaint_phone"),
        ({"consultation_phone": ""}, "consultation_phone"),
        ({"service_objects": []}, "service_objects"),
        ({"service_objects": ["7"]}, "service_objects"),
        ({"handling_forms": ["5"]}, "handling_forms"),
        ({"supports_online": False, "online_depth": 3}, "supports_online"),
        ({"supports_online": True, "online_depth": 2}, "online_depth"),
        ({"online_depth": 4, "onsite_visits": 0, "handling_forms": ["1", "4"]}, "handling_forms"),
        ({"steps": []}, "steps"),
        ({"steps": [{"order": 1, "name": "审查", "role": "reviewer", "budget_days": 6}]}, "steps"),
        ({"steps": [{"order": 1, "name": "审查", "role": "nobody", "budget_days": 1}]}, "steps.role"),
        ({"materials": [{"order": 1, "name": "身份证"}, {"order": 2, "name": "身份证"}]}, "materials.name"),
        ({"special_procedures": [{"kind": "hearing", "duration_value": 0, "duration_unit": "working_days"}]},
         "special_procedures.duration_value"),
        ({"special_procedures": [{"kind": "duel", "duration_value": 5, "duration_unit": "working_days"}]},
         "special_procedures.kind"),
        ({"themes": ["no-such-theme"]}, "themes"),
        ({"faqs": [{"order": 1, "question": "多久？", "answer": ""}]}, "faqs"),
        ({"name": "名" * 201}, "name"),
    ],
)
def test_rule_breaks_are_reported(overrides, field):
    assert field in _fields(_spec(**overrides))


def test_implementation_code_must_be_uscc_level_basic():
    s = _spec()
    assert len(s["implementation_code"]) == 31
    wrong = implementation_code_for(f.make_uscc(901), s["exercise_level"], s["basic_code"])
    assert "implementation_code" in _fields({**s, "implementation_code": wrong})
    assert "implementation_code" in _fields({**s, "implementation_code": s["implementation_code"][:-1]})


def test_implementation_code_regex_is_configurable(settings):
    s = _spec(basic_code="4500ABCD0001")
    assert "basic_code" not in _fields(s)
    settings.ZHENGWU_CATALOG = {"BASIC_CODE_REGEX": r"^00[0-9]{10}$"}
    assert "basic_code" in _fields(s)


def test_immediate_item_with_zero_promise_and_zero_budget_is_valid():
    s = _spec(case_kind="1", promised_limit_value=0,
              steps=[{"order": 1, "name": "收件受理", "role": "clerk", "budget_days": 0},
                     {"order": 2, "name": "当场办结", "role": "chief_representative", "budget_days": 0}])
    assert validate_spec(s, uscc=USCC) == []


def test_promise_in_calendar_days_is_compared_in_working_days():
    # 28 calendar days ≈ 20 WD: equal to a 20 WD legal limit, so allowed; 30 calendar days is not.
    assert "promised_limit_value" not in _fields(_spec(promised_limit_value=28, promised_limit_unit="calendar_days"))
    assert "promised_limit_value" in _fields(_spec(promised_limit_value=30, promised_limit_unit="calendar_days"))


def test_every_problem_is_reported_at_once():
    problems = validate_spec(_spec(name="", legal_basis="", consultation_phone=""), uscc=USCC)
    assert {"name", "legal_basis", "consultation_phone"} <= {p.field for p in problems}
