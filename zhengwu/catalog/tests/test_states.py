from zhengwu.catalog import states
from zhengwu.catalog.models import ServiceItem

S = ServiceItem.Status


def test_table_allows_the_documented_lifecycle_only():
    pairs = {(t.source, t.target) for t in states.TRANSITIONS}
    assert pairs == {(S.DRAFT, S.PUBLISHED), (S.PUBLISHED, S.SUSPENDED), (S.SUSPENDED, S.PUBLISHED),
                     (S.PUBLISHED, S.CANCELLED), (S.SUSPENDED, S.CANCELLED)}
    assert states.allowed_from(S.CANCELLED) == []
    assert states.transition_for("resume", S.PUBLISHED) is None
    cancel = states.transition_for("cancel", S.SUSPENDED)
    assert cancel is not None and cancel.target == S.CANCELLED


def test_suspend_and_cancel_need_a_reason():
    assert {t.name for t in states.TRANSITIONS if t.needs_reason} == {"suspend", "cancel"}
