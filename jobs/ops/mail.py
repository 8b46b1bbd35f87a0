"""The console email backend for JSON logs: each message is one log record, not many raw lines.

Without ``EMAIL_URL`` emails go to the console; with ``LECTERN_LOG_FORMAT=json`` the settings pick
this backend instead of Django's console one, whose multi-line MIME dump would break a log
collector's one-JSON-object-a-line stream. The record holds the recipients, the subject and the
plain-text body (with its links), as the console backend would show them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend

logger = logging.getLogger("jobs.ops.mail")


class LogEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        sent = 0
        for message in email_messages:
            recipients = message.recipients()
            if not recipients:
                continue
            logger.info(
                "email to %s, subject %r:\n%s", ", ".join(recipients), message.subject, message.body
            )
            sent += 1
        return sent
