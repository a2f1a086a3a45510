"""The platform's own tables (``sf_*``), all in one metadata: installed apps, org structure, history,
outbox, files, comments, notifications, and the automation's run log, timers and messages.

The data, security and automation layers import them from here; nothing joins this metadata by
import side effect, so importing this module alone gives every platform table."""
from __future__ import annotations

from sqlalchemy import (
                        BigInteger,
                        Boolean,
                        Column,
                        DateTime,
                        Index,
                        Integer,
                        LargeBinary,
                        MetaData,
                        PrimaryKeyConstraint,
                        String,
                        Table,
                        Text,
                        UniqueConstraint,
                        text,
)

from ..core.fields import USERNAME_MAX_LENGTH
from .column_types import RecordId

platform_metadata = MetaData()

apps = Table(
    "sf_app", platform_metadata,
    Column("name", String(30), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("version", String(30), nullable=False),
    Column("installed_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Every install or upgrade keeps the whole configuration, so versions can be compared and rolled back.
app_revisions = Table(
    "sf_app_revision", platform_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("app", String(30), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("version", String(30), nullable=False),
    Column("documents", Text, nullable=False),  # JSON: [{"path", "type", "data"}], key order kept
    Column("checksum", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(150)),
    Column("message", Text),  # what the publisher said the version changes, or how it came to be
    UniqueConstraint("app", "revision", name="uq_sf_app_revision"),
)

# The builder's draft of an app (one per app): documents edited but not yet published. Publishing
# installs them only while the app is still at ``base_revision``.
app_drafts = Table(
    "sf_app_draft", platform_metadata,
    Column("app", String(30), primary_key=True),
    Column("base_revision", Integer, nullable=False),
    Column("documents", Text, nullable=False),  # JSON in the shape of sf_app_revision.documents
    Column("updated_at", DateTime, nullable=False),
    Column("updated_by", String(150)),
)

app_assets = Table(
    "sf_app_asset", platform_metadata,
    Column("app", String(30), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("path", String(300), nullable=False),
    Column("content", LargeBinary, nullable=False),
    PrimaryKeyConstraint("app", "revision", "path"),
)

users = Table(
    "sf_user", platform_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("username", String(USERNAME_MAX_LENGTH), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False),
    Column("email", String(254)),
    Column("phone", String(40)),
    Column("locale", String(2)),
    Column("active", Boolean, nullable=False, default=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("password_hash", String(300)),
    Column("created_at", DateTime, nullable=False),
    # Bumped at logout: sessions and login tokens of an earlier generation are refused.
    Column("session_generation", Integer, nullable=False, default=0, server_default=text("0")),
)

# Failed logins of the last lock period, per account and per client address (``scope``), so the
# login throttle holds across web processes; rows older than the period are pruned on write.
login_failures = Table(
    "sf_login_failure", platform_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("scope", String(10), nullable=False),  # "account" or "address"
    Column("subject", String(USERNAME_MAX_LENGTH), nullable=False),
    Column("failed_at", DateTime, nullable=False),
    Index("ix_sf_login_failure_subject", "scope", "subject", "failed_at"),
)

user_roles = Table(
    "sf_user_role", platform_metadata,
    Column("username", String(150), nullable=False),
    Column("app", String(30), nullable=False),
    Column("role", String(30), nullable=False),
    PrimaryKeyConstraint("username", "app", "role"),
)

departments = Table(
    "sf_department", platform_metadata,
    Column("app", String(30), nullable=False),
    Column("name", String(100), nullable=False),
    Column("label", Text, nullable=False),  # JSON label
    Column("parent", String(100)),
    Column("head", String(150)),
    PrimaryKeyConstraint("app", "name"),
)

department_members = Table(
    "sf_department_member", platform_metadata,
    Column("app", String(30), nullable=False),
    Column("department", String(100), nullable=False),
    Column("username", String(150), nullable=False),
    PrimaryKeyConstraint("app", "department", "username"),
    Index("ix_sf_department_member_user", "username", "app"),
)

history = Table(
    "sf_history", platform_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("entity_table", String(70), nullable=False),
    Column("record_id", BigInteger, nullable=False),
    Column("field", String(30), nullable=False),
    Column("old_value", Text),  # JSON
    Column("new_value", Text),  # JSON
    Column("changed_at", DateTime, nullable=False),
    Column("changed_by", String(150)),
    Index("ix_sf_history_record", "entity_table", "record_id"),
)

# Domain events, appended in the same transaction as the change; the automation engine reads them.
_PENDING = text("processed_at IS NULL")
outbox = Table(
    "sf_outbox", platform_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("app", String(30), nullable=False),
    Column("entity", String(30), nullable=False),
    Column("record_id", BigInteger, nullable=False),
    Column("event", String(30), nullable=False),
    Column("payload", Text, nullable=False),  # JSON
    Column("actor", String(150)),
    Column("created_at", DateTime, nullable=False),
    Column("processed_at", DateTime),
    # Only pending events are looked up (the next one; "is there an older pending event of this
    # record?"): partial indexes stay as small as the backlog, however many events were processed.
    Index("ix_sf_outbox_pending_id", "id", sqlite_where=_PENDING, postgresql_where=_PENDING),
    Index("ix_sf_outbox_pending_record", "app", "entity", "record_id", "id",
          sqlite_where=_PENDING, postgresql_where=_PENDING),
)
# Indexes of earlier releases, dropped when the platform tables are synced.
RETIRED_INDEXES = frozenset({"ix_sf_outbox_pending", "ix_sf_outbox_record"})

files = Table(
    "sf_file", platform_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("sha256", String(64), nullable=False),
    Column("filename", String(255), nullable=False),
    Column("content_type", String(120), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(150)),
)

# Per-record people: watchers, and access granted or denied beyond the role's record rules.
record_members = Table(
    "sf_record_member", platform_metadata,
    Column("entity_table", String(70), nullable=False),
    Column("record_id", BigInteger, nullable=False),
    Column("username", String(150), nullable=False),
    Column("relation", String(10), nullable=False),
    PrimaryKeyConstraint("entity_table", "record_id", "username", "relation"),
    Index("ix_sf_record_member_user", "username", "relation", "entity_table"),
)

# Fields removed from metadata keep their column and data; they are listed here, never dropped.
retired_columns = Table(
    "sf_retired_column", platform_metadata,
    Column("entity_table", String(70), nullable=False),
    Column("column", String(30), nullable=False),
    Column("storage", String(20), nullable=False),
    Column("length", Integer),
    Column("precision", Integer),
    Column("scale", Integer),
    Column("retired_at", DateTime, nullable=False),
    PrimaryKeyConstraint("entity_table", "column"),
)

# The record timeline (PL13): people's comments, system events and robot messages.
comments = Table(
    "sf_comment", platform_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("app", String(30), nullable=False),
    Column("entity", String(30), nullable=False),
    Column("record_id", BigInteger, nullable=False),
    Column("kind", String(10), nullable=False),  # comment | system | robot
    Column("author", String(150)),
    Column("body", Text, nullable=False),
    Column("files", Text),  # JSON list of file ids
    Column("created_at", DateTime, nullable=False),
    Index("ix_sf_comment_record", "app", "entity", "record_id", "id"),
)

# In-app notifications (PL14); identical unread ones are coalesced by their key (BK27).
notifications = Table(
    "sf_notification", platform_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("username", String(150), nullable=False),
    Column("app", String(30)),
    Column("entity", String(30)),
    Column("record_id", BigInteger),
    Column("title", String(300), nullable=False),
    Column("body", Text),
    Column("dedupe_key", String(200), nullable=False),
    Column("count", Integer, nullable=False, default=1),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("read_at", DateTime),
    Index("ix_sf_notification_inbox", "username", "read_at", "id"),
    Index("ix_sf_notification_key", "username", "dedupe_key", "read_at"),
)

# Per-user screen preferences (list columns, saved filters): one JSON value per key.
user_settings = Table(
    "sf_user_setting", platform_metadata,
    Column("username", String(150), nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", Text, nullable=False),  # JSON
    Column("updated_at", DateTime, nullable=False),
    PrimaryKeyConstraint("username", "key"),
)

SYSTEM_TABLES = [apps, app_revisions, app_assets, users, user_roles, departments,
                 department_members, history, outbox, files, record_members, retired_columns,
                 comments, notifications, user_settings]


# --- automation: run log, action idempotency, timers, outgoing messages -----------------------------

# Why each rule fired or not, per event (PL10): visible on the card and through the API.
rule_runs = Table(
    "sf_rule_run", platform_metadata,
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
    Index("ix_sf_rule_run_rule", "app", "rule", "id"),  # a rule's own run log, newest first
)

# One row per action effect: a redelivered event or timer never repeats an action.
action_runs = Table(
    "sf_action_run", platform_metadata,
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
    "sf_timer", platform_metadata,
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
    "sf_message", platform_metadata,
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
    "sf_automation_state", platform_metadata,
    Column("key", String(160), primary_key=True),
    Column("value", Text, nullable=False),
)

# Inbound webhook secrets, one per rule; only a hash is kept.
webhook_tokens = Table(
    "sf_webhook_token", platform_metadata,
    Column("app", String(30), primary_key=True),
    Column("rule", String(30), primary_key=True),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
)
