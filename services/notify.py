"""Pluggable notifications for supervision cards and ratings.

``GOVSITE_NOTIFIERS`` lists notifier classes (dotted paths). Each gets every notification and
picks the recipients it can reach: :class:`EmailNotifier` the e-mail addresses (through Django's
mail backends), an :class:`SmsGateway` the mobile numbers. The default SMS gateway only logs; a
deployment subclasses :class:`SmsGateway` with its operator's HTTP API.
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from services import conf

logger = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class Notification:
    subject: str
    body: str
    recipients: tuple[str, ...]


class Notifier:
    def send(self, notification: Notification) -> int:
        """Deliver; return how many recipients it was sent to."""
        raise NotImplementedError


class EmailNotifier(Notifier):
    def send(self, notification: Notification) -> int:
        emails = [r for r in notification.recipients if "@" in r]
        if not emails:
            return 0
        sender = getattr(settings, "DEFAULT_FROM_EMAIL", "webmaster@localhost")
        return send_mail(notification.subject, notification.body, sender, emails) and len(emails)


class SmsGateway(Notifier):
    """Base of SMS gateways: override :meth:`send_sms`."""

    def send_sms(self, phone: str, text: str) -> None:
        raise NotImplementedError

    def send(self, notification: Notification) -> int:
        phones = [r for r in notification.recipients if PHONE_RE.match(r)]
        for phone in phones:
            self.send_sms(phone, f"{notification.subject}：{notification.body}"[:300])
        return len(phones)


class LoggingSmsGateway(SmsGateway):
    """Default gateway: writes the SMS to the log instead of sending it."""

    def send_sms(self, phone: str, text: str) -> None:
        logger.warning("SMS to %s: %s", phone, text)


def notifiers() -> list[Notifier]:
    return [import_string(path)() for path in conf.get("GOVSITE_NOTIFIERS")]


def notify(notification: Notification) -> int:
    """Send through every configured notifier; return the number of deliveries."""
    return sum(n.send(notification) for n in notifiers())
