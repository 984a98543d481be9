"""A logging filter that keeps personal data out of the application's log (RULES.md §10, 等保 8.1.4.6).

Query strings may carry a search term (a 身份证 or phone number someone typed into a GET form, or a
crafted link), so every URL in a log line loses its query string; any 身份证 or mobile number left
in the message or the traceback is masked. Wired to every handler in `config/settings.py` LOGGING,
including `django.server` (runserver's request lines). The access logs of nginx and gunicorn leave
query strings out by their formats (deploy/).
"""

from __future__ import annotations

import logging
import re

from zhengwu.core.masking import mask_personal_numbers

_QUERY = re.compile(r"""((?:^|[\s"'(=])(?:https?://[^\s/?"']+)?/[^\s?"']*)\?[^\s"']*""")


def scrub(text: str) -> str:
    return mask_personal_numbers(_QUERY.sub(r"\1", text))


class PersonalDataFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        return True
