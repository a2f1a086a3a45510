"""The platform's own tables (``sf_*``): installed apps, org structure, history, outbox, files."""
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

from .types import RecordId

system_metadata = MetaData()

apps = Table(
    "sf_app", system_metadata,
    Column("name", String(30), primary_key=True),
    Column("revision", Integer, nullable=False),
    Column("version", String(30), nullable=False),
    Column("installed_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Every install or upgrade keeps the whole configuration, so versions can be compared and rolled back.
app_revisions = Table(
    "sf_app_revision", system_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("app", String(30), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("version", String(30), nullable=False),
    Column("documents", Text, nullable=False),  # JSON: [{"path", "type", "data"}], key order kept
    Column("checksum", String(64), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("created_by", String(150)),
    UniqueConstraint("app", "revision", name="uq_sf_app_revision"),
)

app_assets = Table(
    "sf_app_asset", system_metadata,
    Column("app", String(30), nullable=False),
    Column("revision", Integer, nullable=False),
    Column("path", String(300), nullable=False),
    Column("content", LargeBinary, nullable=False),
    PrimaryKeyConstraint("app", "revision", "path"),
)

users = Table(
    "sf_user", system_metadata,
    Column("id", RecordId, primary_key=True, autoincrement=True),
    Column("username", String(150), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False),
    Column("email", String(254)),
    Column("phone", String(40)),
    Column("locale", String(2)),
    Column("active", Boolean, nullable=False, default=True),
    Column("is_admin", Boolean, nullable=False, default=False),
    Column("password_hash", String(300)),
    Column("created_at", DateTime, nullable=False),
)

user_roles = Table(
    "sf_user_role", system_metadata,
    Column("username", String(150), nullable=False),
    Column("app", String(30), nullable=False),
    Column("role", String(30), nullable=False),
    PrimaryKeyConstraint("username", "app", "role"),
)

departments = Table(
    "sf_department", system_metadata,
    Column("app", String(30), nullable=False),
    Column("name", String(100), nullable=False),
    Column("label", Text, nullable=False),  # JSON label
    Column("parent", String(100)),
    Column("head", String(150)),
    PrimaryKeyConstraint("app", "name"),
)

department_members = Table(
    "sf_department_member", system_metadata,
    Column("app", String(30), nullable=False),
    Column("department", String(100), nullable=False),
    Column("username", String(150), nullable=False),
    PrimaryKeyConstraint("app", "department", "username"),
    Index("ix_sf_department_member_user", "username", "app"),
)

history = Table(
    "sf_history", system_metadata,
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
    "sf_outbox", system_metadata,
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
    "sf_file", system_metadata,
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
    "sf_record_member", system_metadata,
    Column("entity_table", String(70), nullable=False),
    Column("record_id", BigInteger, nullable=False),
    Column("username", String(150), nullable=False),
    Column("relation", String(10), nullable=False),
    PrimaryKeyConstraint("entity_table", "record_id", "username", "relation"),
    Index("ix_sf_record_member_user", "username", "relation", "entity_table"),
)

# Fields removed from metadata keep their column and data; they are listed here, never dropped.
retired_columns = Table(
    "sf_retired_column", system_metadata,
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
    "sf_comment", system_metadata,
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
    "sf_notification", system_metadata,
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
    "sf_user_setting", system_metadata,
    Column("username", String(150), nullable=False),
    Column("key", String(200), nullable=False),
    Column("value", Text, nullable=False),  # JSON
    Column("updated_at", DateTime, nullable=False),
    PrimaryKeyConstraint("username", "key"),
)

SYSTEM_TABLES = [apps, app_revisions, app_assets, users, user_roles, departments,
                 department_members, history, outbox, files, record_members, retired_columns,
                 comments, notifications, user_settings]
