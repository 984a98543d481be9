"""Issue a 文书 now, write its PDF later.

`document_enqueue` runs inside the transaction that issues the notice or certificate: the number
and wording are fixed there, in a `RenderJob` row that commits or rolls back with the case. The
PDF is written by `document_render`:

- at once, in the same transaction, when `settings.ZHENGWU_DOCUMENTS_DEFERRED` is false (tests,
  small installations without the clock process);
- otherwise by the clock process after each sweep (`documents_render_pending`), so a window clerk
  never waits for fonts and seals, and on the first download (`document_ready`) if the process has
  not got to it yet.

A crash after the commit loses nothing: the job stays pending until a pass renders it. Rendering
is idempotent: a job rendered twice (two processes racing) stores one file, the row lock decides.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import models, transaction
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.module_loading import import_string

from zhengwu.core.appends import append
from zhengwu.documents.models import RenderJob
from zhengwu.documents.notice import render_notice

log = logging.getLogger(__name__)

# Renderer name → dotted path of `render(obj, params) -> bytes`. Explicit, like CLOCK_HANDLERS.
RENDERERS: dict[str, str] = {
    "notice": "zhengwu.documents.jobs.render_notice_job",
    "certificate": "zhengwu.licences.pdf.render_certificate_job",
}
MAX_ATTEMPTS = 5


def deferred() -> bool:
    return bool(getattr(settings, "ZHENGWU_DOCUMENTS_DEFERRED", False))


@cache
def _renderer(name: str) -> Callable[[models.Model, dict[str, Any]], bytes]:
    return import_string(RENDERERS[name])


def notice_params(*, kind, number: str, recipient: str, paragraphs: list[str], issuer_name: str,
                  issued_on: date, tables=(), remedies: bool | None = None) -> dict[str, Any]:
    """A notice's whole content as stored in its job (JSON)."""
    return {"kind": kind.code if hasattr(kind, "code") else str(kind), "number": number, "recipient": recipient,
            "paragraphs": list(paragraphs), "tables": [[list(map(str, row)) for row in table] for table in tables],
            "issuer_name": issuer_name, "issued_on": issued_on.isoformat(), "remedies": remedies}


def render_notice_job(obj: models.Model, params: dict[str, Any]) -> bytes:
    return render_notice(kind=params["kind"], number=params["number"], recipient=params["recipient"],
                         paragraphs=params["paragraphs"], tables=params.get("tables") or (),
                         issuer_name=params["issuer_name"], issued_on=date.fromisoformat(params["issued_on"]),
                         remedies=params.get("remedies"))


def _safe_filename(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z._-]", "", name) or "document.pdf"


def document_enqueue(*, renderer: str, obj: models.Model, field_name: str, filename: str,
                     params: dict[str, Any] | None = None) -> RenderJob:
    """Record the document to write for `obj.<field_name>` (obj saved, inside the issuing transaction)."""
    if renderer not in RENDERERS:
        raise ValueError(f"unknown renderer {renderer}")
    if obj.pk is None:
        raise ValueError("the owner of a document must be saved first")
    job = RenderJob(renderer=renderer, model_label=obj._meta.label_lower, object_id=str(obj.pk),
                    field_name=field_name, filename=_safe_filename(filename), params=params or {},
                    created_at=timezone.now())
    if deferred():
        # Written with the issuing call's audit events (core.appends); the clock process renders it.
        append(job)
    else:
        job.save()
        _render_locked(job, obj)
    return job


def _target(job: RenderJob) -> models.Model | None:
    model = apps.get_model(job.model_label)
    return model._default_manager.filter(pk=job.object_id).first()


def _render_locked(job: RenderJob, obj: models.Model | None = None) -> bool:
    """Render a job whose row the caller holds (or just created). True when a file was written."""
    obj = obj if obj is not None else _target(job)
    if obj is None:
        job.rendered_at, job.last_error = timezone.now(), "对象已不存在 / owner gone"
        job.save(update_fields=["rendered_at", "last_error"])
        return False
    content = _renderer(job.renderer)(obj, job.params)
    field: FieldFile = getattr(obj, job.field_name)
    field.save(job.filename, ContentFile(content), save=False)
    type(obj)._default_manager.filter(pk=obj.pk).update(**{job.field_name: field.name})
    job.rendered_at = timezone.now()
    job.attempts += 1
    job.save(update_fields=["rendered_at", "attempts"])
    return True


def document_render(job_id: int) -> bool:
    """Render one pending job in its own transaction; False if another process had it or it failed."""
    try:
        with transaction.atomic():
            job = (RenderJob.objects.select_for_update(skip_locked=True)
                   .filter(pk=job_id, rendered_at__isnull=True).first())
            if job is None:
                return False
            return _render_locked(job)
    except Exception as exc:  # a broken font or a full disk must not stop the other documents
        log.exception("document %s failed", job_id)
        RenderJob.objects.filter(pk=job_id).update(attempts=models.F("attempts") + 1, last_error=str(exc)[:500])
        return False


def documents_render_pending(*, limit: int = 100) -> int:
    """One pass of the worker: the oldest pending jobs, each in its own transaction."""
    ids = list(RenderJob.objects.filter(rendered_at__isnull=True, attempts__lt=MAX_ATTEMPTS)
               .order_by("id").values_list("id", flat=True)[:limit])
    return sum(1 for job_id in ids if document_render(job_id))


def document_pending(obj: models.Model, field_name: str) -> bool:
    return RenderJob.objects.filter(model_label=obj._meta.label_lower, object_id=str(obj.pk), field_name=field_name,
                                    rendered_at__isnull=True).exists()


def document_ready(field: FieldFile | None) -> FieldFile | None:
    """The file of a document field, written now if its job is still pending (first download)."""
    if field is None or field:
        return field
    obj, name = field.instance, field.field.name
    job_id = (RenderJob.objects.filter(model_label=obj._meta.label_lower, object_id=str(obj.pk), field_name=name,
                                       rendered_at__isnull=True).order_by("-id").values_list("id", flat=True).first())
    if job_id is not None and not document_render(job_id):
        # Another process is writing it: wait for its lock, then read what it stored.
        with transaction.atomic():
            RenderJob.objects.select_for_update().filter(pk=job_id).first()
    obj.refresh_from_db(fields=[name])
    return getattr(obj, name)
