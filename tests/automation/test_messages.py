"""Sending queued messages for real: e-mail to a local SMTP server (aiosmtpd), SMS through the
outbox gateway, webhooks to a local HTTP server; retries with backoff, then giving up (PL08, PL14).
"""
from __future__ import annotations

import datetime as dt
import email
import itertools
import json
import logging
import socket
import threading
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from stageflow.automation.actions.message_actions import queue_message
from stageflow.automation.messages import (
    MAX_ATTEMPTS,
    MessageSender,
    OutboxSmsGateway,
    SmtpGateway,
    WebhookGateway,
    backoff,
)
from stageflow.core.registry import Registry
from stageflow.storage.database import write_transaction
from stageflow.storage.platform_tables import messages

from .support import rule


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Mailbox:
    """An aiosmtpd handler keeping every message it accepts."""

    def __init__(self):
        self.received: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email_policy)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"


@pytest.fixture
def smtp_server():
    """A real SMTP server on 127.0.0.1 (aiosmtpd, a dev dependency: a missing one fails, never skips)."""
    from aiosmtpd.controller import Controller

    mailbox = Mailbox()
    controller = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        yield SimpleNamespace(url=f"smtp://127.0.0.1:{controller.port}", mailbox=mailbox)
    finally:
        controller.stop()


class Hooks(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.path, self.headers["Content-Type"], body))
        self.send_response(self.server.status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def http_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    server.received, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def gateways(smtp_url: str) -> Registry:
    registry: Registry = Registry("message gateway")
    for gateway in (SmtpGateway(smtp_url, sender="robot@stageflow.test"), OutboxSmsGateway(), WebhookGateway()):
        registry.register(gateway)
    return registry


def _phones(bundle):
    bundle.edit("org.json", lambda doc: doc["users"][1].update(email="anna@example.com"))


# -- delivery ------------------------------------------------------------------------------------

def test_pl14_email_is_delivered_to_an_smtp_server(make_app, smtp_server, clock):
    h = make_app(rule("tell", {"kind": "stage_entered", "stages": ["won"]}, [
        {"kind": "notify", "to": {"users": ["boss", "anna"]}, "title": "Сделка {{ record.title }} выиграна",
         "body": "Сумма: {{ record.amount }}", "channels": ["email"]}]), edit=_phones, gateways=gateways(smtp_server.url))
    deal = h.create(title="Квартира", amount="1500")
    h.update(deal["id"], stage="won")
    h.run()
    received = sorted((rcpt, mail_from, msg["Subject"], msg.get_content().strip())
                      for mail_from, rcpt, msg in smtp_server.mailbox.received)
    assert received == [
        (["anna@example.com"], "robot@stageflow.test", "Сделка Квартира выиграна", "Сумма: 1500.00"),
        (["boss@example.com"], "robot@stageflow.test", "Сделка Квартира выиграна", "Сумма: 1500.00")]
    assert [(m["status"], m["attempts"], m["sent_at"], m["error"]) for m in h.messages()] == [
        ("sent", 1, clock.now, None)] * 2


def test_bk04_sms_goes_through_the_outbox_gateway(make_app, smtp_server, caplog):
    h = make_app(rule("welcome", {"kind": "record_created"}, [{"kind": "send_sms", "phone_field": "phone",
                                                               "text": "Hello {{ record.full_name }}"}], entities=["client"]),
                 gateways=gateways(smtp_server.url))
    h.client("Ivan", phone="+79001234567")
    with caplog.at_level(logging.INFO, logger="stageflow.automation.messages"):
        h.run()
    assert [(m["channel"], m["recipient"], m["body"], m["status"]) for m in h.messages()] == [
        ("sms", "+79001234567", "Hello Ivan", "sent")]
    assert "SMS to +79001234567: Hello Ivan" in caplog.messages


def test_pl08_webhook_posts_json_to_an_http_server(make_app, smtp_server, http_server):
    url = f"http://127.0.0.1:{http_server.server_port}/erp/hook"
    h = make_app(rule("erp", {"kind": "stage_entered", "stages": ["won"]},
                      [{"kind": "webhook", "url": url, "body": {"event": "won", "deal": "{{ record.title }}"}}]),
                 gateways=gateways(smtp_server.url))
    deal = h.create(title="Flat")
    h.update(deal["id"], stage="won")
    h.run()
    [(path, content_type, body)] = http_server.received
    assert (path, content_type, body["event"], body["deal"]) == ("/erp/hook", "application/json", "won", "Flat")
    assert (body["record"]["id"], body["record"]["stage"]) == (deal["id"], "won")
    assert [m["status"] for m in h.messages()] == ["sent"]


# -- retries -------------------------------------------------------------------------------------

def _queue(sf, channel: str, recipient: str, key: str = "k1", body: str = "{}") -> None:
    with write_transaction(sf.db) as conn:
        assert queue_message(SimpleNamespace(conn=conn, now=sf.clock()), channel, recipient, body, "subject", key)


def _message(sf) -> dict:
    with sf.db.connect() as conn:
        return dict(conn.execute(select(messages)).mappings().one())


def test_pl14_failures_retry_with_growing_backoff_then_give_up_keeping_the_error(make_app, clock):
    dead = f"smtp://127.0.0.1:{free_port()}"  # nobody listens there
    h = make_app()
    sender = MessageSender(h.sf.db, gateways(dead), clock)
    _queue(h.sf, "email", "boss@example.com")
    delays = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert sender.send_due() == 1
        row = _message(h.sf)
        assert (row["attempts"], row["status"]) == (attempt, "failed" if attempt == MAX_ATTEMPTS else "pending")
        assert row["error"].startswith(f"SMTP 127.0.0.1:{dead.rsplit(':', 1)[1]}: ")
        delays.append(row["next_attempt_at"] - clock.now)
        clock.advance(seconds=delays[-1].total_seconds() - 1)
        assert sender.send_due() == 0  # not before its time
        clock.advance(seconds=1)
    assert delays == [backoff(n) for n in range(1, MAX_ATTEMPTS + 1)]
    assert delays[:3] == [dt.timedelta(seconds=30), dt.timedelta(minutes=1), dt.timedelta(minutes=2)]
    assert all(later > earlier for earlier, later in itertools.pairwise(delays))
    clock.advance(days=30)
    assert sender.send_due() == 0  # given up for good
    assert backoff(30) == dt.timedelta(hours=6)


def test_pl08_a_failing_webhook_is_retried_until_the_server_answers(make_app, clock, http_server):
    h = make_app()
    sender = MessageSender(h.sf.db, gateways("smtp://127.0.0.1:9"), clock)
    _queue(h.sf, "webhook", f"http://127.0.0.1:{http_server.server_port}/hook", body='{"n": 1}')
    http_server.status = 500
    sender.send_due()
    row = _message(h.sf)
    assert (row["status"], row["attempts"]) == ("pending", 1) and "500" in row["error"]
    http_server.status = 204
    clock.advance(seconds=30)
    assert sender.send_due() == 1
    row = _message(h.sf)
    assert (row["status"], row["attempts"], row["error"], row["sent_at"]) == ("sent", 2, None, clock.now)
    assert [body for _, _, body in http_server.received] == [{"n": 1}, {"n": 1}]


def test_pl08_a_webhook_to_a_non_http_url_fails_without_sending(make_app, clock):
    h = make_app()
    sender = MessageSender(h.sf.db, gateways("smtp://127.0.0.1:9"), clock)
    _queue(h.sf, "webhook", "file:///etc/passwd")
    sender.send_due()
    assert _message(h.sf)["error"] == "'file:///etc/passwd' is not an http(s) URL"


# -- keys ----------------------------------------------------------------------------------------

def test_pl10_a_message_key_is_queued_once(make_app):
    h = make_app()
    with write_transaction(h.sf.db) as conn:
        run = SimpleNamespace(conn=conn, now=h.clock())
        assert queue_message(run, "sms", "+79001234567", "first", None, "event:1:welcome:0") is True
        assert queue_message(run, "sms", "+79001234567", "second", None, "event:1:welcome:0") is False
    assert _message(h.sf)["body"] == "first"
    with pytest.raises(IntegrityError), write_transaction(h.sf.db) as conn:  # the database holds the line too
        conn.execute(messages.insert(), {"channel": "sms", "recipient": "x", "body": "x", "key": "event:1:welcome:0",
                                         "status": "pending", "attempts": 0, "next_attempt_at": h.clock(),
                                         "created_at": h.clock()})
