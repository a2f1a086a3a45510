"""The automation engine's tables: run log, action idempotency, timers, outgoing messages."""
from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Table, Text, UniqueConstraint

from ..data.system_tables import system_metadata
from ..data.types import RecordId

# Why each rule fired or not, per event (PL10): visible on the card and through the API.
rule_runs = Table(
    "sf_rule_run", system_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("app", String(30), nullable=False),
    Column("entity", String(30), nullable=False),
    Column("record_id", BigInteger),
    Column("rule", String(30), nullable=False),
    Column("source", String(40), nullable=False),  # "event:<id>", "timer:<id>", "manual:<...>"
    Column("outcome", String(10), nullable=False),  # fired | skipped | failed
    Column("reason", Text),
    Column("created_at", DateTime, nullable=False),
    Index("ix_sf_rule_run_record", "app", "entity", "record_id", "id"),
)

# One row per action effect: a redelivered event or timer never repeats an action.
action_runs = Table(
    "sf_action_run", system_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("key", String(160), nullable=False),  # <source>:<rule>:<action index>
    Column("rule", String(30), nullable=False),
    Column("action", String(30), nullable=False),
    Column("result", Text),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("key", name="uq_sf_action_run_key"),
)

# Durable timers: time triggers and waits are rows, swept when due (never worker memory).
timers = Table(
    "sf_timer", system_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("app", String(30), nullable=False),
    Column("entity", String(30), nullable=False),
    Column("record_id", BigInteger),
    Column("rule", String(30), nullable=False),
    Column("purpose", String(20), nullable=False),  # trigger | resume
    Column("resume_at", Integer),  # action index a wait resumes at
    Column("due_at", DateTime, nullable=False),
    Column("status", String(10), nullable=False),  # pending | fired | cancelled
    Column("cause", Text),  # JSON: what scheduled it
    Column("created_at", DateTime, nullable=False),
    Column("fired_at", DateTime),
    Index("ix_sf_timer_due", "status", "due_at"),
    Index("ix_sf_timer_record", "app", "entity", "record_id", "rule", "status"),
)

# E-mail, SMS and outgoing webhooks, written in the rule's transaction and sent afterwards.
messages = Table(
    "sf_message", system_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("channel", String(10), nullable=False),  # email | sms | webhook
    Column("recipient", String(2000), nullable=False),
    Column("subject", String(300)),
    Column("body", Text, nullable=False),
    Column("key", String(200), nullable=False),
    Column("status", String(10), nullable=False),  # pending | sent | failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    UniqueConstraint("key", name="uq_sf_message_key"),
    Index("ix_sf_message_pending", "status", "next_attempt_at"),
)

# Small per-rule state (the last user of a round robin).
states = Table(
    "sf_automation_state", system_metadata,
    Column("key", String(160), primary_key=True),
    Column("value", Text, nullable=False),
)

# Inbound webhook secrets, one per rule; only a hash is kept.
webhook_tokens = Table(
    "sf_webhook_token", system_metadata,
    Column("app", String(30), primary_key=True),
    Column("rule", String(30), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
