"""Sending queued messages (e-mail over SMTP, SMS through a gateway, outgoing webhooks).

Messages are written by actions in the rule's transaction with a unique key, so a redelivered
event never queues one twice; the sender delivers each, retrying with backoff (30 s, 1 min,
2 min ... up to 6 h) and giving up after ``MAX_ATTEMPTS`` with the error kept.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import os
import smtplib
import urllib.request
from collections.abc import Callable, Mapping
from email.message import EmailMessage
from typing import ClassVar
from urllib.parse import urlparse

from sqlalchemy import select

from ..core.registry import Registry
from ..storage.database import write_transaction
from ..storage.platform_tables import messages

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


class DeliveryFailed(Exception):
    pass


class Gateway:
    kind: ClassVar[str]  # the channel it serves

    def send(self, recipient: str, subject: str | None, body: str) -> None:
        raise NotImplementedError


class SmtpGateway(Gateway):
    """E-mail through an SMTP server: ``STAGEFLOW_SMTP_URL=smtp://user:pass@host:port``."""

    kind = "email"

    def __init__(self, url: str | None = None, sender: str | None = None):
        parsed = urlparse(url or os.environ.get("STAGEFLOW_SMTP_URL", "smtp://127.0.0.1:25"))
        self.host, self.port = parsed.hostname or "127.0.0.1", parsed.port or 25
        self.user, self.password = parsed.username, parsed.password
        self.sender = sender or os.environ.get("STAGEFLOW_MAIL_FROM", "stageflow@localhost")

    def send(self, recipient, subject, body):
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, recipient, subject or ""
        message.set_content(body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                if self.user:
                    smtp.login(self.user, self.password or "")
                smtp.send_message(message)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"SMTP {self.host}:{self.port}: {exc}") from exc


class OutboxSmsGateway(Gateway):
    """Development SMS gateway: the message stays in ``sf_message`` (marked sent) and is logged."""

    kind = "sms"

    def send(self, recipient, subject, body):
        log.info("SMS to %s: %s", recipient, body)


class HttpSmsGateway(Gateway):
    """An HTTP SMS provider: POSTs ``{"to", "text"}`` as JSON to ``STAGEFLOW_SMS_URL``."""

    kind = "sms"

    def __init__(self, url: str):
        self.url = url

    def send(self, recipient, subject, body):
        post_json(self.url, {"to": recipient, "text": body})


class WebhookGateway(Gateway):
    kind = "webhook"

    def send(self, recipient, subject, body):
        post_json(recipient, json.loads(body))


def post_json(url: str, payload: Mapping) -> None:
    if urlparse(url).scheme not in ("http", "https"):
        raise DeliveryFailed(f"{url!r} is not an http(s) URL")
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - scheme checked above
            if response.status >= 300:
                raise DeliveryFailed(f"{url}: HTTP {response.status}")
    except OSError as exc:
        raise DeliveryFailed(f"{url}: {exc}") from exc


def default_gateways() -> Registry[Gateway]:
    gateways: Registry[Gateway] = Registry("message gateway")
    gateways.register(SmtpGateway())
    sms_url = os.environ.get("STAGEFLOW_SMS_URL")
    gateways.register(HttpSmsGateway(sms_url) if sms_url else OutboxSmsGateway())
    gateways.register(WebhookGateway())
    return gateways


def backoff(attempts: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


class MessageSender:
    def __init__(self, db, gateways: Registry[Gateway], clock: Callable[[], dt.datetime]):
        self.db, self.gateways, self.clock = db, gateways, clock

    def send_one(self) -> bool:
        """Deliver the oldest due message; True when there was one."""
        m = messages
        with write_transaction(self.db) as conn:
            query = select(m).where(m.c.status == "pending", m.c.next_attempt_at <= self.clock()) \
                .order_by(m.c.next_attempt_at, m.c.id).limit(1)
            if conn.dialect.name == "postgresql":
                query = query.with_for_update(skip_locked=True)
            row = conn.execute(query).mappings().first()
            if row is None:
                return False
            attempts = row["attempts"] + 1
            try:
                self.gateways.get(row["channel"]).send(row["recipient"], row["subject"], row["body"])
            except DeliveryFailed as exc:
                failed = attempts >= MAX_ATTEMPTS
                conn.execute(m.update().where(m.c.id == row["id"]).values(
                    attempts=attempts, error=str(exc)[:2000], status="failed" if failed else "pending",
                    next_attempt_at=self.clock() + backoff(attempts)))
                return True
            conn.execute(m.update().where(m.c.id == row["id"]).values(
                attempts=attempts, status="sent", sent_at=self.clock(), error=None))
            return True

    def send_due(self, limit: int = 100) -> int:
        done = 0
        while done < limit and self.send_one():
            done += 1
        return done
