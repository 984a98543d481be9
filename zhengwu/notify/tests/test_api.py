import pytest

from zhengwu.accounts.models import User
from zhengwu.notify.services import notify_send

pytestmark = pytest.mark.django_db(transaction=True)


def test_notices_are_listed_to_their_user_only(client):
    me = User.objects.create_user("me", password="x-12345678", kind=User.Kind.APPLICANT)
    other = User.objects.create_user("other", password="x-12345678", kind=User.Kind.APPLICANT)
    notify_send(recipient_user=me, template="case.submitted",
                context={"case_no": "2026-A-000001", "query_code": "ABCDEFGH", "item_name": "测试事项"})
    assert client.get("/api/v1/notices").status_code == 401
    client.force_login(other)
    assert client.get("/api/v1/notices").json() == {"unread": 0, "results": []}
    client.force_login(me)
    body = client.get("/api/v1/notices").json()
    assert body["unread"] == 1 and body["results"][0]["title"] == "申请已提交"
    notice_id = body["results"][0]["id"]
    client.force_login(other)
    assert client.post(f"/api/v1/notices/{notice_id}/read").status_code == 404
    client.force_login(me)
    assert client.post(f"/api/v1/notices/{notice_id}/read").json()["read_at"] is not None
    assert client.get("/api/v1/notices?unread_only=true").json() == {"unread": 0, "results": []}
