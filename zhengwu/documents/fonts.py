"""The embedded Chinese font for every PDF the platform writes."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

CJK_FONT_NAME = "WenQuanYiZenHei"
DEFAULT_FONT_PATH = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"


class FontMissing(ImproperlyConfigured):
    """The TrueType collection is not on this machine; a PDF without it would print empty boxes."""


def cjk_font_path() -> Path:
    return Path(getattr(settings, "ZHENGWU_CJK_FONT", "") or DEFAULT_FONT_PATH)


def register_cjk_font() -> str:
    """Register the font once per process and return its reportlab name."""
    if CJK_FONT_NAME in pdfmetrics.getRegisteredFontNames():
        return CJK_FONT_NAME
    path = cjk_font_path()
    if not path.is_file():
        raise FontMissing(
            f"缺少中文字体文件 {path}，请安装 Debian 软件包 fonts-wqy-zenhei（apt-get install fonts-wqy-zenhei）"
            f" / Chinese font {path} is missing: install the Debian package fonts-wqy-zenhei"
        )
    # subfontIndex 0 of the .ttc is 文泉驿正黑 (proportional); 1 is the monospaced variant.
    pdfmetrics.registerFont(TTFont(CJK_FONT_NAME, str(path), subfontIndex=0))
    return CJK_FONT_NAME
