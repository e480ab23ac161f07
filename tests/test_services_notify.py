"""Notifications over real sockets: e-mail to a loopback SMTP server, SMS to a loopback HTTP
gateway (signed, retried), and supervision cards reaching both."""

import datetime as dt
import hashlib
import hmac
import json
import os
import select
import subprocess
import sys
import time
from email import message_from_bytes, message_from_string
from email.header import decode_header, make_header

import pytest
from django.test import override_settings

from services.notify import EmailNotifier, HttpSmsGateway, Notification, NotifyError, notify
from services.status.models import Application
from services.supervision.checks import run_supervision
from services.supervision.models import Card, Rule
from services.workdays import add_workdays
from tests.helpers.loopback import SmsGatewayServer, free_port, smtp_server

SECRET = "s3cret-shared-with-the-operator"


def smtp_settings(port):
    return override_settings(EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1",
                             EMAIL_PORT=port, EMAIL_USE_TLS=False, EMAIL_USE_SSL=False,
                             DEFAULT_FROM_EMAIL="gkb@nanan.gov.cn")


def sms_settings(url, **extra):
    values = {"GOVSITE_SMS_URL": url, "GOVSITE_SMS_KEY_ID": "nanan", "GOVSITE_SMS_SECRET": SECRET,
              "GOVSITE_SMS_SIGN_NAME": "南安市人民政府", "GOVSITE_SMS_BACKOFF": "0.01"}
    values.update(extra)
    return override_settings(**values)


def subject_of(raw: str) -> str:
    return str(make_header(decode_header(message_from_string(raw)["Subject"])))


def body_of(raw: str) -> str:
    msg = message_from_bytes(raw.encode("utf-8"))
    return msg.get_payload(decode=True).decode(msg.get_content_charset() or "utf-8")


def signature_ok(headers: dict, body: bytes) -> bool:
    message = f"{headers['x-sms-timestamp']}\n{headers['x-sms-nonce']}\n{hashlib.sha256(body).hexdigest()}"
    expected = hmac.new(SECRET.encode(), message.encode(), hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-sms-signature"])


def test_email_reaches_a_real_smtp_server_one_message_per_recipient():
    with smtp_server() as (port, inbox), smtp_settings(port):
        sent = EmailNotifier().send(Notification("依申请公开申请已受理", "您的申请 YS1 已受理。",
                                                 ("a@example.com", "13800138000", "b@example.com")))
    assert sent == 2
    assert sorted(m["to"][0] for m in inbox.messages) == ["a@example.com", "b@example.com"]
    assert all(len(m["to"]) == 1 for m in inbox.messages)  # nobody sees another applicant's address
    assert subject_of(inbox.messages[0]["data"]) == "依申请公开申请已受理"
    assert "您的申请 YS1 已受理" in body_of(inbox.messages[0]["data"])


def test_sms_is_signed_and_posted_to_the_gateway():
    with SmsGatewayServer() as gateway, sms_settings(gateway.url):
        sent = HttpSmsGateway().send(Notification("黄牌", "编号 YS1 已超期", ("13900000000", "x@example.com")))
    assert sent == 1 and len(gateway.received) == 1
    headers, body = gateway.received[0]
    assert headers["x-sms-key"] == "nanan" and signature_ok(headers, body)
    payload = json.loads(body)
    assert payload["phone"] == "13900000000" and payload["sign_name"] == "南安市人民政府"
    assert payload["text"] == "黄牌：编号 YS1 已超期"
    # a tampered body would not verify
    assert not signature_ok(headers, body.replace(b"YS1", b"YS2"))


def test_sms_is_retried_on_server_errors_with_the_same_message_id():
    with SmsGatewayServer(statuses=(503, 502, 200)) as gateway, sms_settings(gateway.url):
        HttpSmsGateway().send_sms("13900000000", "测试")
    assert len(gateway.received) == 3
    ids = {json.loads(body)["message_id"] for _headers, body in gateway.received}
    assert len(ids) == 1  # the operator can drop duplicates
    assert all(signature_ok(h, b) for h, b in gateway.received)


def test_sms_gives_up_after_the_retries_and_on_a_client_error():
    with SmsGatewayServer(statuses=(500,)) as gateway, sms_settings(gateway.url, GOVSITE_SMS_RETRIES=2):
        with pytest.raises(NotifyError, match="HTTP 500"):
            HttpSmsGateway().send_sms("13900000000", "测试")
    assert len(gateway.received) == 3
    with SmsGatewayServer(statuses=(401,)) as gateway, sms_settings(gateway.url):
        with pytest.raises(NotifyError, match="HTTP 401"):
            HttpSmsGateway().send_sms("13900000000", "测试")
    assert len(gateway.received) == 1  # a refused request is not retried
    # nobody listening: a connection error, retried, then an error (never a hang)
    with sms_settings(f"http://127.0.0.1:{free_port()}/sms", GOVSITE_SMS_RETRIES=1, GOVSITE_SMS_TIMEOUT="2"):
        with pytest.raises(NotifyError):
            HttpSmsGateway().send_sms("13900000000", "测试")


def test_the_gateway_refuses_to_start_without_endpoint_and_secret():
    with override_settings(GOVSITE_SMS_URL="", GOVSITE_SMS_SECRET=""), pytest.raises(NotifyError):
        HttpSmsGateway()


def test_one_failing_notifier_does_not_stop_the_others():
    with smtp_server() as (port, inbox), smtp_settings(port), \
            SmsGatewayServer(statuses=(500,)) as gateway, sms_settings(gateway.url, GOVSITE_SMS_RETRIES=0), \
            override_settings(GOVSITE_NOTIFIERS=["services.notify.HttpSmsGateway", "services.notify.EmailNotifier"]):
        with pytest.raises(NotifyError):
            notify(Notification("黄牌", "超期", ("13900000000", "head@example.com")))
    assert len(inbox.messages) == 1  # the e-mail still went


@pytest.mark.django_db
def test_supervision_cards_reach_handler_head_and_leader_by_email_and_sms():
    Rule.objects.create(department="自然资源局", warn_days_left=2, red_after_days=3,
                        section_head_contact="head@nanan.gov.cn,13700000000", leader_contact="13900000000")
    accepted = dt.date(2026, 9, 21)
    app = Application.objects.create(number="XK9", applicant="许文华", item="规划许可", department="自然资源局",
                                     accepted_on=accepted, deadline_days=10, handler_contact="clerk@nanan.gov.cn")
    with smtp_server() as (port, inbox), smtp_settings(port), SmsGatewayServer() as gateway, \
            sms_settings(gateway.url), \
            override_settings(GOVSITE_NOTIFIERS=["services.notify.EmailNotifier", "services.notify.HttpSmsGateway"]):
        run_supervision(add_workdays(app.deadline, 1))
    assert list(Card.objects.values_list("level", flat=True)) == ["yellow"]
    assert sorted(m["to"][0] for m in inbox.messages) == ["clerk@nanan.gov.cn", "head@nanan.gov.cn"]
    assert sorted(json.loads(b)["phone"] for _h, b in gateway.received) == ["13700000000", "13900000000"]
    assert "黄牌" in subject_of(inbox.messages[0]["data"])


@pytest.mark.django_db
def test_a_card_whose_sms_failed_is_sent_again_on_the_next_run():
    Rule.objects.create(department="自然资源局", leader_contact="13900000000")
    app = Application.objects.create(number="XK8", applicant="许文华", item="规划许可", department="自然资源局",
                                     accepted_on=dt.date(2026, 9, 21), deadline_days=10)
    day = add_workdays(app.deadline, 1)
    with SmsGatewayServer(statuses=(500, 500, 200)) as gateway, sms_settings(gateway.url, GOVSITE_SMS_RETRIES=1), \
            override_settings(GOVSITE_NOTIFIERS=["services.notify.HttpSmsGateway"]):
        assert run_supervision(day).notified == 0
        assert Card.objects.get().notified_at is None
        assert run_supervision(day).notified == 1
    assert len(gateway.received) == 3


DEMO_SMS = {**os.environ, "GOVSITE_NOTIFIERS": "services.notify.LoggingSmsGateway"}


def test_management_commands_do_not_warn_about_the_demo_gateway():
    result = subprocess.run([sys.executable, "-m", "cms.cli", "check"], capture_output=True, text=True, timeout=120,
                            env=DEMO_SMS)
    assert result.returncode == 0, result.stderr
    assert "仅供演示" not in result.stderr + result.stdout


def test_the_demo_gateway_says_when_the_server_starts_that_it_sends_nothing():
    """runserver (and ``govsite demo``, which serves through it) load ``cms.wsgi``, like gunicorn."""
    server = subprocess.Popen([sys.executable, "-m", "cms.cli", "runserver", f"127.0.0.1:{free_port()}", "--noreload"],
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=DEMO_SMS)
    seen = []
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            ready, _w, _x = select.select([server.stdout], [], [], 1)
            if ready:
                line = server.stdout.readline()
                if not line:
                    break
                seen.append(line)
                if "仅供演示" in line:
                    break
    finally:
        server.terminate()
        server.wait(timeout=30)
    said = [line for line in seen if "仅供演示" in line]
    assert said and "LoggingSmsGateway" in said[0], "".join(seen)[-2000:]
