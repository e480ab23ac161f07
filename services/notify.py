"""Notifications that leave the building: e-mail and SMS, for supervision cards, ratings and cases.

``GOVSITE_NOTIFIERS`` lists notifier classes (dotted paths). Each gets every notification and
picks the recipients it can reach:

- :class:`EmailNotifier`: the e-mail addresses, through Django's mail settings (``EMAIL_HOST``,
  ``EMAIL_PORT``, … from the environment, ``cms/settings.py``; SMTP in production).
- :class:`HttpSmsGateway`: the mobile numbers, posted to an SMS operator's HTTP endpoint
  (``GOVSITE_SMS_URL``) as signed JSON, retried on network errors and 5xx/429 answers.
- :class:`LoggingSmsGateway`: writes the text messages to the log and sends nothing; for the demo
  only, and it says so when the server starts (``services.apps``).

A notifier that fails raises :class:`NotifyError` after the others have been tried, so the caller
(e.g. supervision) can keep the notification for its next run.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass

import orjson
from django.conf import settings
from django.core.mail import send_mail
from django.utils.module_loading import import_string

from services import conf

logger = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
SMS_MAX_CHARS = 300


class NotifyError(Exception):
    """A notification could not be delivered (after the retries a notifier makes)."""


@dataclass(frozen=True)
class Notification:
    subject: str
    body: str
    recipients: tuple[str, ...]


class Notifier:
    #: True for notifiers that deliver nothing (the demo's logging gateway)
    demo_only = False

    def send(self, notification: Notification) -> int:
        """Deliver; return how many recipients it was sent to."""
        raise NotImplementedError


class EmailNotifier(Notifier):
    def send(self, notification: Notification) -> int:
        emails = [r for r in notification.recipients if "@" in r]
        if not emails:
            return 0
        sender = getattr(settings, "DEFAULT_FROM_EMAIL", "webmaster@localhost")
        # one message per recipient: applicants must not see each other's addresses
        sent = 0
        for email in emails:
            sent += send_mail(notification.subject, notification.body, sender, [email])
        return sent


class SmsGateway(Notifier):
    """Base of SMS gateways: override :meth:`send_sms`."""

    def send_sms(self, phone: str, text: str) -> None:
        raise NotImplementedError

    def send(self, notification: Notification) -> int:
        phones = [r for r in dict.fromkeys(notification.recipients) if PHONE_RE.match(r)]
        for phone in phones:
            self.send_sms(phone, f"{notification.subject}：{notification.body}"[:SMS_MAX_CHARS])
        return len(phones)


class LoggingSmsGateway(SmsGateway):
    """Demo gateway: writes the SMS to the log instead of sending it."""

    demo_only = True

    def send_sms(self, phone: str, text: str) -> None:
        logger.warning("SMS to %s (demo gateway, not sent): %s", phone, text)


def sms_signature(secret: str, timestamp: str, nonce: str, body: bytes) -> str:
    """HMAC-SHA256 (hex) of ``timestamp \\n nonce \\n sha256(body)`` with the shared secret: the
    gateway recomputes it to know the request is ours, unaltered, and (timestamp, nonce) fresh."""
    digest = hashlib.sha256(body).hexdigest()
    message = f"{timestamp}\n{nonce}\n{digest}".encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


class HttpSmsGateway(SmsGateway):
    """An SMS operator's HTTP API: one signed JSON POST per message, retried with backoff.

    Settings (``services.conf``: Django settings, else the environment):

    - ``GOVSITE_SMS_URL``: the endpoint (https in production);
    - ``GOVSITE_SMS_KEY_ID`` and ``GOVSITE_SMS_SECRET``: the account and the shared signing secret;
    - ``GOVSITE_SMS_SIGN_NAME``: the registered signature put before the text (e.g. 南安市人民政府);
    - ``GOVSITE_SMS_RETRIES`` (3), ``GOVSITE_SMS_TIMEOUT`` seconds (5), ``GOVSITE_SMS_BACKOFF``
      seconds before the first retry, doubled each time (0.5).

    Body: ``{"phone", "text", "sign_name", "message_id"}``; the same ``message_id`` on every
    retry, so the operator can drop a duplicate. Headers ``X-Sms-Key``, ``X-Sms-Timestamp``,
    ``X-Sms-Nonce``, ``X-Sms-Signature`` (:func:`sms_signature`). A 2xx answer is success; 4xx
    other than 429 is not retried (the request itself is wrong).
    """

    def __init__(self) -> None:
        self.url = conf.get("GOVSITE_SMS_URL", "")
        self.key_id = conf.get("GOVSITE_SMS_KEY_ID", "")
        self.secret = conf.get("GOVSITE_SMS_SECRET", "")
        self.sign_name = conf.get("GOVSITE_SMS_SIGN_NAME", "")
        self.retries = int(conf.get("GOVSITE_SMS_RETRIES", 3))
        self.timeout = float(conf.get("GOVSITE_SMS_TIMEOUT", "5"))
        self.backoff = float(conf.get("GOVSITE_SMS_BACKOFF", "0.5"))
        if not self.url or not self.secret:
            raise NotifyError("HttpSmsGateway needs GOVSITE_SMS_URL and GOVSITE_SMS_SECRET")

    def _request(self, body: bytes) -> urllib.request.Request:
        timestamp, nonce = str(int(time.time())), secrets.token_hex(16)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Sms-Key": self.key_id,
            "X-Sms-Timestamp": timestamp,
            "X-Sms-Nonce": nonce,
            "X-Sms-Signature": sms_signature(self.secret, timestamp, nonce, body),
        }
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")

    def send_sms(self, phone: str, text: str) -> None:
        body = orjson.dumps({"phone": phone, "text": text, "sign_name": self.sign_name,
                             "message_id": uuid.uuid4().hex})
        last_error = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(self._request(body), timeout=self.timeout) as response:
                    response.read()
                    return
            except urllib.error.HTTPError as exc:
                last_error = f"HTTP {exc.code}"
                if 400 <= exc.code < 500 and exc.code != 429:
                    break
            except (urllib.error.URLError, TimeoutError, ConnectionError, OSError) as exc:
                last_error = str(getattr(exc, "reason", exc))
            logger.warning("SMS gateway attempt %d failed for %s: %s", attempt + 1, phone[:3] + "****", last_error)
        raise NotifyError(f"SMS to {phone[:3]}**** not accepted by the gateway: {last_error}")


def notifiers() -> list[Notifier]:
    return [import_string(path)() for path in conf.get("GOVSITE_NOTIFIERS")]


def demo_only_notifiers() -> list[str]:
    """The configured notifiers that deliver nothing (said at server start)."""
    return [path for path in conf.get("GOVSITE_NOTIFIERS") if getattr(import_string(path), "demo_only", False)]


def warn_if_demo_only() -> None:
    """Say, once when a server starts (``cms.wsgi``: runserver, ``govsite demo``, gunicorn/granian),
    that SMS would only be logged; management commands stay quiet."""
    demo = demo_only_notifiers()
    if demo:
        logger.warning(
            "短信网关 %s 仅供演示：短信只写入日志，不会发送。生产环境请在 GOVSITE_NOTIFIERS 中改用 "
            "services.notify.HttpSmsGateway 并设置 GOVSITE_SMS_URL、GOVSITE_SMS_SECRET "
            "(demo-only SMS gateway: messages are logged, never sent)", ", ".join(demo),
        )


def notify(notification: Notification) -> int:
    """Send through every configured notifier; return the number of deliveries. Every notifier
    is tried; when one failed, :class:`NotifyError` is raised afterwards."""
    delivered, errors = 0, []
    for notifier in notifiers():
        try:
            delivered += notifier.send(notification)
        except Exception as exc:
            logger.exception("notifier %s failed", type(notifier).__name__)
            errors.append(exc)
    if errors:
        raise NotifyError("; ".join(str(e) for e in errors)) from errors[0]
    return delivered
