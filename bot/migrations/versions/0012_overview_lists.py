"""the overview reads its lists in index order: last_heard_at by trigger, unacknowledged alerts

Revision ID: 0012
Revises: 0011

The overview's "gone quiet" list asked, for every active participant in scope, whether they
had written since the cutoff (a probe of ``ix_messages_inbound`` each): 60,000 probes at
100,000 participants, half of the page's time. Now each participant row carries when they last
wrote, and ``ix_participants_status_last_heard`` (status, last_heard_at) hands the list out in
order of silence: it reads the 200 rows it shows. Likewise ``ix_alerts_unacknowledged``
(created_at, of the alerts neither resolved nor acknowledged) hands out the first list newest
first, where the page sorted every open alert (17,500 at 100,000) to show 200.

``ix_messages_staff_notices`` (staff_id, kind, due_at, of messages to staff only) answers the
alert tick's "when was this staff member last sent a notice?" (the digest window): it read
every message of the programme, a second per recipient at 100,000 on SQLite, inside the
tick's write transaction, long enough that staff could not sign in ("database is locked").

The column is the database's to keep, not the application's: a trigger after every insert on
``messages`` of an inbound row with a ``received_at`` moves it forward (never back), whichever
code path wrote the row (the webhook's batches, Telegram, the simulator, the demo, an import).
The upgrade fills it in from the messages already there (about 1 s per million messages).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TRIGGER = "tr_messages_last_heard"
FUNCTION = "brobygger_last_heard"  # PostgreSQL: a trigger calls a function

# Only forward: an inbound row written late (a provider's retry) must not make someone look
# quieter than they are.
MOVE_FORWARD = """
    UPDATE participants SET last_heard_at = NEW.received_at
    WHERE id = NEW.participant_id
      AND (last_heard_at IS NULL OR last_heard_at < NEW.received_at)
"""

SQLITE_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} AFTER INSERT ON messages
WHEN NEW.direction = 'in' AND NEW.received_at IS NOT NULL AND NEW.participant_id IS NOT NULL
BEGIN
    {MOVE_FORWARD};
END
"""

POSTGRESQL_FUNCTION = f"""
CREATE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    {MOVE_FORWARD};
    RETURN NULL;
END
$$
"""

POSTGRESQL_TRIGGER = f"""
CREATE TRIGGER {TRIGGER} AFTER INSERT ON messages FOR EACH ROW
WHEN (NEW.direction = 'in' AND NEW.received_at IS NOT NULL AND NEW.participant_id IS NOT NULL)
EXECUTE FUNCTION {FUNCTION}()
"""

UNACKNOWLEDGED = "resolved_at IS NULL AND acknowledged_at IS NULL"

FILL_IN = """
UPDATE participants SET last_heard_at = (
    SELECT max(received_at) FROM messages
    WHERE messages.participant_id = participants.id AND messages.direction = 'in'
)
"""


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy of the table): SQLite adds a nullable column in place.
    op.add_column("participants", sa.Column("last_heard_at", sa.DateTime(timezone=True)))
    op.execute(FILL_IN)
    op.create_index(
        "ix_participants_status_last_heard", "participants", ["status", "last_heard_at"]
    )
    op.create_index(
        "ix_alerts_unacknowledged",
        "alerts",
        ["created_at"],
        postgresql_where=sa.text(UNACKNOWLEDGED),
        sqlite_where=sa.text(UNACKNOWLEDGED),
    )
    op.create_index(
        "ix_messages_staff_notices",
        "messages",
        ["staff_id", "kind", "due_at"],
        postgresql_where=sa.text("staff_id IS NOT NULL"),
        sqlite_where=sa.text("staff_id IS NOT NULL"),
    )
    if _postgresql():
        op.execute(POSTGRESQL_FUNCTION)
        op.execute(POSTGRESQL_TRIGGER)
    else:
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    op.execute(f"DROP TRIGGER {TRIGGER}" + (" ON messages" if _postgresql() else ""))
    if _postgresql():
        op.execute(f"DROP FUNCTION {FUNCTION}()")
    op.drop_index("ix_messages_staff_notices", table_name="messages")
    op.drop_index("ix_alerts_unacknowledged", table_name="alerts")
    op.drop_index("ix_participants_status_last_heard", table_name="participants")
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("last_heard_at")


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"
