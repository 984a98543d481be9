"""Requests left "pending" on cases that had already left the clocked states, from before the
services stored the lapse (reads used to derive it from the case status): stored as lapsed, each
with the timeline event the services now write."""

from django.db import migrations
from django.utils import timezone

# states.CLOCKED when this migration was written.
CLOCKED = ("accepted", "awaiting_decision", "suspended")


def lapse(apps, schema_editor):
    ExtensionRequest = apps.get_model("cases", "ExtensionRequest")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    stale = list(ExtensionRequest.objects.filter(state="pending").exclude(case__status__in=CLOCKED)
                 .select_related("case"))
    if not stale:
        return
    now = timezone.now()
    CaseEvent.objects.bulk_create([CaseEvent(
        case_id=r.case_id, occurred_at=now, action="extension_lapse", from_status=r.case.status,
        to_status=r.case.status, actor=None, role="system", public=False,
        note="办件已离开计时状态，延期申请失效（数据订正）", data={"request_id": r.pk, "days": r.days})
        for r in stale])
    ExtensionRequest.objects.filter(pk__in=[r.pk for r in stale]).update(state="lapsed")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0005_fewer_case_indexes"),
    ]

    operations = [
        migrations.RunPython(lapse, migrations.RunPython.noop),
    ]
