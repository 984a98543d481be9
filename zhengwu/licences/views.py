"""Public pages: the verification page the certificate's QR code opens (no login)."""

from __future__ import annotations

from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhengwu.core.errors import NotFound
from zhengwu.licences.selectors import licence_public_verification


@require_GET
def verify(request, identifier: str):
    try:
        info = licence_public_verification(identifier)
    except NotFound:
        return render(request, "licences/verify.html", {"identifier": identifier, "info": None}, status=404)
    response = render(request, "licences/verify.html", {"identifier": identifier, "info": info})
    # A verdict must reflect the certificate's state now, never a cached copy from before a revocation.
    response["Cache-Control"] = "no-store"
    return response
