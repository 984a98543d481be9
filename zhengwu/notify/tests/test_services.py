import pytest
from django.db import transaction

from zhengwu.accounts.models import User
from zhengwu.core.errors import NotFound, ValidationFailed
from zhengwu.core.models import AuditEvent
from zhengwu.notify.backends import LocmemBackend
from zhengwu.notify.models import Channel, Delivery, Notice, Outgoing
from zhengwu.notify.selectors import notice_list_for, notice_unread_count
from zhengwu.notify.services import notice_mark_read, notify_outgoing_send, notify_send

pytestmark = pytest.mark.django_db(transaction=True)

CTX = {"case_no": "2026-SJ-000001", "query_code": "AB12CD", "item_name": "食品经营许可"}


@pytest.fixture
def outbox(settings):
    settings.ZHENGWU_NOTIFY_BACKENDS = {"sms": "zhengwu.notify.backends.LocmemBackend",
                                        "email": "zhengwu.notify.backends.LocmemBackend"}
    LocmemBackend.outbox = []
    return LocmemBackend.outbox


@pytest.fixture
def citizen():
    return User.objects.create_user("citizen1", password="x-12345678", kind=User.Kind.APPLICANT,
                                    phone="13812341234", email="zhangsan@example.cn")


def test_sends_on_every_channel_after_commit_with_masked_log(outbox, citizen):
    with transaction.atomic():
        notify_send(recipient_user=citizen, template="case.submitted", context=CTX)
        # The in-app notice is part of the business write; SMS and e-mail wait for the commit.
        assert outbox == [] and Notice.objects.count() == 1 and Outgoing.objects.count() == 2
    assert not Outgoing.objects.exists()
    assert [m.channel for m in outbox] == ["sms", "email"]
    assert "2026-SJ-000001" in outbox[0].body and outbox[0].body.startswith("【政务服务】")
    notice = Notice.objects.get()
    assert notice.recipient == citizen and notice.title == "申请已提交" and "AB12CD" in notice.body
    logged = dict(Delivery.objects.values_list("channel", "recipient_masked"))
    assert logged[Channel.SMS] == "138****1234"
    assert logged[Channel.EMAIL] == "z***@example.cn"
    assert not Delivery.objects.filter(recipient_masked__contains="13812341234").exists()


def test_rolled_back_write_sends_nothing(outbox, citizen):
    with pytest.raises(RuntimeError), transaction.atomic():
        notify_send(recipient_user=citizen, template="case.submitted", context=CTX)
        raise RuntimeError("boom")
    assert outbox == [] and not Notice.objects.exists() and not Delivery.objects.exists()


def test_walk_in_without_account_gets_sms_only(outbox):
    notify_send(phone="13900001111", template="case.submitted", context=CTX)
    assert [(m.channel, m.address) for m in outbox] == [("sms", "13900001111")]
    assert not Notice.objects.exists()


def test_unknown_template_or_missing_field_is_refused(outbox, citizen):
    with pytest.raises(ValidationFailed, match="模板不存在"):
        notify_send(recipient_user=citizen, template="nope", context=CTX)
    with pytest.raises(ValidationFailed, match="缺少字段"):
        notify_send(recipient_user=citizen, template="case.submitted", context={"case_no": "x"})
    assert outbox == []


def test_gateway_failure_is_logged_not_raised(settings, citizen):
    settings.ZHENGWU_NOTIFY_BACKENDS = {"sms": "zhengwu.notify.tests.test_services.BrokenBackend"}
    notify_send(recipient_user=citizen, template="case.submitted", context=CTX)
    failed = Delivery.objects.get(channel=Channel.SMS)
    assert failed.outcome == Delivery.Outcome.FAILED and "gateway down" in failed.error
    assert Notice.objects.count() == 1


class BrokenBackend:
    def send(self, message):
        raise ConnectionError("gateway down")


def test_notice_list_and_mark_read(outbox, citizen):
    other = User.objects.create_user("other", password="x-12345678")
    notify_send(recipient_user=citizen, template="case.submitted", context=CTX)
    notice = notice_list_for(user=citizen).get()
    assert notice_unread_count(user=citizen) == 1
    with pytest.raises(NotFound):
        notice_mark_read(actor=other, notice_id=notice.pk)
    notice_mark_read(actor=citizen, notice_id=notice.pk)
    assert notice_unread_count(user=citizen) == 0
    assert AuditEvent.objects.filter(action="notice.read", object_id=str(notice.pk)).count() == 1


def test_channels_can_be_limited_to_in_app(outbox, citizen):
    notify_send(recipient_user=citizen, template="case.submitted", context=CTX, channels=["in_app"])
    assert outbox == [] and Notice.objects.filter(recipient=citizen).count() == 1
    notify_send(recipient_user=citizen, template="case.submitted", context=CTX, channels=["sms"])
    assert [m.channel for m in outbox] == ["sms"] and Notice.objects.filter(recipient=citizen).count() == 1


def test_titles_are_filled_like_bodies(monkeypatch):
    from zhengwu.core.errors import ValidationFailed
    from zhengwu.notify import templates

    monkeypatch.setitem(templates.TEMPLATES, "test.titled", templates.NoticeTemplate(
        "{colour}：{case_no}", "办件 {case_no}", "【政务服务】{case_no}"))
    title, body, sms = templates.render("test.titled", {"colour": "红牌超期", "case_no": "2026-X-000001"})
    assert title == "红牌超期：2026-X-000001" and body == "办件 2026-X-000001"
    with pytest.raises(ValidationFailed, match="缺少字段"):
        templates.render("test.titled", {"case_no": "2026-X-000001"})


# --- the outbox, as production runs it (ZHENGWU_NOTIFY_DEFERRED) ---------------------------------

def test_deferred_messages_wait_encrypted_and_are_sent_once_by_the_clock_process(outbox, citizen, settings):
    from django.db import connection

    settings.ZHENGWU_NOTIFY_DEFERRED = True
    with transaction.atomic():
        notify_send(recipient_user=citizen, template="case.submitted", context=CTX)
    # Committed, not yet sent: a crash now loses nothing, the messages wait in the outbox.
    assert outbox == [] and Outgoing.objects.count() == 2
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM notify_outgoing")
        stored = [row[0] for row in cursor.fetchall()]
    assert stored and all("13812341234" not in a and "zhangsan" not in a for a in stored)
    assert notify_outgoing_send() == 2
    assert [m.channel for m in outbox] == ["sms", "email"] and outbox[0].address == "13812341234"
    assert not Outgoing.objects.exists()
    assert notify_outgoing_send() == 0 and len(outbox) == 2  # nothing is sent twice
    assert set(Delivery.objects.values_list("channel", flat=True)) == {"in_app", "sms", "email"}


def test_a_failing_gateway_is_recorded_and_the_message_leaves_the_outbox(citizen, settings):
    settings.ZHENGWU_NOTIFY_DEFERRED = True
    settings.ZHENGWU_NOTIFY_BACKENDS = {"sms": "zhengwu.notify.tests.test_services.BrokenBackend",
                                        "email": "zhengwu.notify.backends.LocmemBackend"}
    LocmemBackend.outbox = []
    notify_send(recipient_user=citizen, template="case.submitted", context=CTX)
    assert notify_outgoing_send() == 2
    failed = Delivery.objects.get(channel="sms")
    assert failed.outcome == Delivery.Outcome.FAILED and "gateway down" in failed.error
    assert Delivery.objects.get(channel="email").outcome == Delivery.Outcome.SENT
    assert not Outgoing.objects.exists()
