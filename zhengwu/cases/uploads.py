"""Upload checks: the content type is sniffed from the file's first bytes, never trusted from the client."""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings

from zhengwu.core.errors import ValidationFailed

DEFAULT_MAX_BYTES = 20 * 1024 * 1024
ALLOWED = "PDF、JPEG、PNG、OFD"


@dataclass(frozen=True)
class CheckedUpload:
    content: bytes
    content_type: str
    extension: str
    sha256: str


def max_upload_bytes() -> int:
    return int(getattr(settings, "ZHENGWU_UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES))


def sniff(content: bytes) -> tuple[str, str] | None:
    if content.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if content.startswith(b"PK\x03\x04"):
        # OFD (GB/T 33190) is a zip whose root holds OFD.xml.
        try:
            with zipfile.ZipFile(io.BytesIO(content)) as archive:
                if "OFD.xml" in archive.namelist():
                    return "application/ofd", "ofd"
        except zipfile.BadZipFile:
            return None
    return None


def upload_check(content: bytes, *, name: str = "") -> CheckedUpload:
    limit = max_upload_bytes()
    if not content:
        raise ValidationFailed(f"文件“{name}”为空", f"file {name!r} is empty", field="file")
    if len(content) > limit:
        raise ValidationFailed(
            f"文件“{name}”超过大小上限 {limit // (1024 * 1024)} MB", f"file {name!r} exceeds {limit} bytes", field="file")
    kind = sniff(content)
    if kind is None:
        raise ValidationFailed(f"文件“{name}”的格式不受支持，仅接受 {ALLOWED} 文件",
                               f"file {name!r} is not a PDF, JPEG, PNG or OFD file", field="file")
    return CheckedUpload(content=content, content_type=kind[0], extension=kind[1],
                         sha256=hashlib.sha256(content).hexdigest())
