"""Actions that tell people: in-app and e-mail notifications, SMS, timeline comments, webhooks."""
from __future__ import annotations

import json

from sqlalchemy import select

from ...core.specs import label_text
from ...data.timeline import EntryKind, add_comment, notify
from ...storage import platform_tables as st
from ...storage.platform_tables import messages
from .base import RECIPIENTS_SCHEMA, ActionKind, ActionRun, check_recipients, check_templates

CHANNELS = ("inapp", "email")


def queue_message(run: ActionRun, channel: str, recipient: str, body: str, subject: str | None, key: str,
                  coalesce: bool = False) -> bool:
    """Put a message on the outgoing queue once per key (a redelivered event adds nothing). With
    ``coalesce``, a message identical to one still waiting to be sent is not queued again: a burst
    of the same event after a stall sends one e-mail, not one per event (NS08)."""
    m = messages
    if run.conn.execute(select(m.c.id).where(m.c.key == key)).first():
        return False
    if coalesce and run.conn.execute(select(m.c.id).where(
            m.c.channel == channel, m.c.recipient == recipient, m.c.status == "pending",
            m.c.subject == subject if subject is not None else m.c.subject.is_(None), m.c.body == body)).first():
        return False
    run.conn.execute(m.insert(), {"channel": channel, "recipient": recipient, "subject": subject, "body": body,
                                  "key": key, "status": "pending", "attempts": 0, "next_attempt_at": run.now,
                                  "created_at": run.now})
    return True


class Notify(ActionKind):
    """``{"kind": "notify", "to": {"fields": ["assignee"]}, "title": "Пришлите клиенту ссылки о нас",
    "channels": ["inapp", "email"]}`` (PL14, BK06). Title and body are templates over the record;
    identical unread in-app notifications are coalesced (BK27). ``"to": {"email_fields": ["email"]}``
    also e-mails the addresses held in the record's e-mail fields (people who are not users)."""

    kind = "notify"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["to", "title"], "properties": {
        "kind": {}, "to": RECIPIENTS_SCHEMA, "title": {"type": "string", "minLength": 1, "maxLength": 300},
        "body": {"type": "string"}, "channels": {"type": "array", "items": {"enum": list(CHANNELS)},
                                                 "minItems": 1, "uniqueItems": True}}}

    def check(self, action, entity, app):
        yield from check_recipients(action["to"], entity, app, "to")
        yield from check_templates(action, "title", "body")

    def run(self, action, run):
        title = run.render(action["title"])
        body = run.render(action["body"]) if action.get("body") else None
        users = run.recipients(action["to"])
        channels = action.get("channels", ["inapp"])
        for user in users:
            if "inapp" in channels:
                notify(run.conn, user, title, body=body, app=run.app.name, entity=run.entity.name,
                       record_id=run.record_id, key=f"{run.rule.name}:{run.entity.name}:{run.record_id}:{title}",
                       now=run.now)
            if "email" in channels:
                email = run.conn.execute(select(st.users.c.email).where(st.users.c.username == user)).scalar()
                if email:
                    queue_message(run, "email", email, body or title, title,
                                  f"{run.source}:{run.rule.name}:{run.index}:{user}", coalesce=True)
        addresses = run.addresses(action["to"]) if "email" in channels else []
        for address in addresses:
            queue_message(run, "email", address, body or title, title,
                          f"{run.source}:{run.rule.name}:{run.index}:<{address}>", coalesce=True)
        return f"notified {', '.join([*users, *addresses]) or 'nobody'} ({', '.join(channels)})"


class SendSms(ActionKind):
    """``{"kind": "send_sms", "phone_field": "client_phone", "text": "Ваш код: {{ record.id }}"}``
    (BK04): an SMS through the configured gateway, to a phone field of the record."""

    kind = "send_sms"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["phone_field", "text"],
                      "properties": {"kind": {}, "phone_field": {"type": "string"},
                                     "text": {"type": "string", "minLength": 1, "maxLength": 1000}}}

    def check(self, action, entity, app):
        name = action["phone_field"]
        if not entity.has_field(name) or entity.field(name).kind != "phone":
            yield "phone_field", f"{name!r} is not a phone field of {entity.name!r}"
        yield from check_templates(action, "text")

    def run(self, action, run):
        phone = run.seen.get(action["phone_field"])
        if not phone:
            return f"no phone in {action['phone_field']}"
        queue_message(run, "sms", phone, run.render(action["text"]), None, f"{run.source}:{run.rule.name}:{run.index}")
        return f"SMS to {phone}"


class PostComment(ActionKind):
    """``{"kind": "post_comment", "text": "Договор сформирован"}``: a robot message on the timeline
    (PL13); people can hide robot messages."""

    kind = "post_comment"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["text"],
                      "properties": {"kind": {}, "text": {"type": "string", "minLength": 1}}}

    def check(self, action, entity, app):
        yield from check_templates(action, "text")

    def run(self, action, run):
        add_comment(run.conn, run.app.name, run.entity.name, run.record_id, run.render(action["text"]),
                    author=f"robot:{run.rule.name}", kind=EntryKind.ROBOT, now=run.now)
        return "commented"


class CallWebhook(ActionKind):
    """``{"kind": "webhook", "url": "https://erp.example/hook", "body": {"deal": "{{ record.id }}"}}``:
    an outgoing POST, queued and sent with retries and backoff after the rule's transaction."""

    kind = "webhook"
    options_schema = {"type": "object", "additionalProperties": False, "required": ["url"], "properties": {
        "kind": {}, "url": {"type": "string", "pattern": "^https?://"}, "body": {"type": "object"}}}

    def run(self, action, run):
        body = {k: run.render(v) if isinstance(v, str) else v for k, v in action.get("body", {}).items()}
        body.setdefault("record", dict(run.seen))
        queue_message(run, "webhook", action["url"], json.dumps(body, ensure_ascii=False, default=str), None,
                      f"{run.source}:{run.rule.name}:{run.index}")
        return f"webhook to {action['url']}"


def rule_label(run: ActionRun) -> str:
    return label_text(run.rule.label, run.app.default_locale)
