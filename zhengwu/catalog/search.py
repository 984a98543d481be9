"""Public search text: Chinese name, full pinyin and pinyin initials in one lower-case column.

Written when a version is published, so a search is a plain `LIKE '%…%'` query that gives the
same answers on SQLite and PostgreSQL (no trigram or FTS extension needed for a county's few
thousand items). pypinyin's phrase dictionary picks the right reading of 行 in 银行 / 行政.
"""

from __future__ import annotations

import re

from pypinyin import Style, lazy_pinyin

_NON_WORD = re.compile(r"[^0-9a-z]+")
_SPACE = re.compile(r"\s+")
SEPARATOR = "|"


def _keep_alnum(chars: str) -> str:
    return "".join(c for c in chars.lower() if c.isalnum())


def _pinyin_parts(name: str, style: Style) -> str:
    parts = lazy_pinyin(name, style=style, errors=_keep_alnum)
    return _NON_WORD.sub("", "".join(parts).lower())


def build_search_text(name: str, *extra: str, aliases: tuple[str, ...] = ()) -> str:
    """`extra` (codes) is kept as typed; `aliases` (the result name: people search for 营业执照 when
    they need 公司设立登记) get pinyin like the name, after it, so name matches still rank first."""
    pieces = []
    for text in (name, *aliases):
        text = (text or "").strip()
        if text:
            pieces += [text.lower(), _pinyin_parts(text, Style.NORMAL), _pinyin_parts(text, Style.FIRST_LETTER)]
    pieces.extend(e.lower() for e in extra if e)
    return SEPARATOR.join(pieces)


def query_tokens(q: str | None) -> list[str]:
    """Whitespace separates terms that must all match; the separator character is never a term."""
    if not q:
        return []
    return [t for t in _SPACE.split(q.strip().lower().replace(SEPARATOR, " ")) if t][:8]
