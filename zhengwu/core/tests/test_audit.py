import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from gmssl import func, sm3

from zhengwu.core import context
from zhengwu.core.audit import Entry, audit_record, audit_record_many, audit_verify
from zhengwu.core.crypto import sm3_hex
from zhengwu.core.models import AuditEvent
from zhengwu.core.testing import audit_triggers_dropped

pytestmark = pytest.mark.django_db


def test_sm3_matches_the_reference_vector_and_gmssl():
    # GB/T 32905 example 1: SM3("abc")
    assert sm3_hex(b"abc") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    data = "审计 chain ✓".encode()
    assert sm3_hex(data) == sm3.sm3_hash(func.bytes_to_list(data))


def _three_events():
    token = context.activate(context.RequestContext(ip="10.1.2.3"))
    try:
        audit_record(actor="system", action="test.first", object_type="x", object_id="1", data={"a": 1})
        audit_record_many(actor=None, entries=[Entry("test.second", data={"b": "二"}), Entry("test.third")])
    finally:
        context.reset(token)


def test_events_are_chained_numbered_and_carry_the_request_ip():
    _three_events()
    events = list(AuditEvent.objects.order_by("seq"))
    assert [(e.lane, e.seq) for e in events] == [(1, 1), (1, 2), (1, 3)]
    assert events[0].prev_hash == "0" * 64
    assert events[1].prev_hash == events[0].hash and events[2].prev_hash == events[1].hash
    assert {e.ip for e in events} == {"10.1.2.3"}
    assert audit_verify() == (3, [])
    call_command("verify_audit")


def test_an_edited_row_is_detected():
    _three_events()
    with audit_triggers_dropped():
        AuditEvent.objects.filter(seq=2).update(data={"b": "改"})
    checked, problems = audit_verify()
    assert checked == 3 and [p.seq for p in problems] == [2]
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_a_deleted_middle_row_is_detected():
    _three_events()
    with audit_triggers_dropped():
        AuditEvent.objects.filter(seq=2).delete()
    _, problems = audit_verify()
    assert problems and problems[0].seq == 2


def test_a_deleted_last_row_is_detected():
    _three_events()
    with audit_triggers_dropped():
        AuditEvent.objects.filter(seq=3).delete()
    _, problems = audit_verify()
    assert problems, "removing the tail must not go unnoticed"


def test_events_refuse_update_and_delete_through_the_model():
    _three_events()
    event = AuditEvent.objects.get(seq=1)
    event.action = "changed"
    with pytest.raises(RuntimeError):
        event.save()
    with pytest.raises(RuntimeError):
        event.delete()


def test_a_rolled_back_write_leaves_no_event():
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor="system", action="test.rolled_back")
        raise RuntimeError("crash mid-write")
    assert not AuditEvent.objects.exists()
    audit_record(actor="system", action="test.after")
    assert audit_verify() == (1, [])
