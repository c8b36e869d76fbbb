"""The ``messages`` table: the outbox and the response log in one.

Every message out (with its due time, channel, status, attempts, provider id and error) and every
message in (with the parsed intent and the question it answered) is one row. An outgoing row is
planned with a unique ``dedupe_key`` in the same transaction as the change that causes it, so
planning twice is harmless; the dispatcher claims due rows and records the outcome.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, and_, literal_column, or_, text
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, EncryptedText, UTCDateTime, str_enum, utcnow
from bot.models.participants import ChannelKind


class Direction(enum.StrEnum):
    OUT = "out"
    IN = "in"


class MessageStatus(enum.StrEnum):
    """Outgoing: planned -> sending -> sent -> delivered, or one of the end states.

    Incoming rows are ``received``.
    """

    PLANNED = "planned"
    SENDING = "sending"
    SENT = "sent"
    DELIVERED = "delivered"
    FAILED = "failed"
    CANCELLED = "cancelled"  # e.g. a reminder of a meeting that moved
    SUPPRESSED = "suppressed"  # opted out, no consent, no reachable address
    UNKNOWN = "unknown"  # the send timed out or the worker died: it may have gone out
    RECEIVED = "received"


class MessageKind(enum.StrEnum):
    """What a message is for; ``bot.consent_rules`` says which consent each kind needs."""

    CONSENT_REQUEST = "consent_request"
    CONSENT_REMINDER = "consent_reminder"
    CONSENT_REPLY = "consent_reply"  # thanks for saying yes / ok, you said no
    CHECKIN = "checkin"
    CHECKIN_NUDGE = "checkin_nudge"
    CONFIRMATION_REQUEST = "confirmation_request"
    CONFIRMATION_NUDGE = "confirmation_nudge"
    REMINDER = "reminder"
    MEETING_MOVED = "meeting_moved"
    MEETING_CANCELLED = "meeting_cancelled"
    ATTENDANCE_QUESTION = "attendance_question"
    REPLY = "reply"  # an answer to something the citizen wrote (thanks, help, language)
    STOP_CONFIRMATION = "stop_confirmation"
    START_CONFIRMATION = "start_confirmation"
    UNKNOWN_SENDER_REPLY = "unknown_sender_reply"
    STAFF_MESSAGE = "staff_message"  # written by a consultant or mentor on the dashboard
    ALERT = "alert"  # to a mentor or consultant
    ALERT_DIGEST = "alert_digest"
    INBOUND = "inbound"


# Structured answers the bot applies itself (JA/NEJ, a score, OK): they are shown on the timeline.
# Everything else a citizen writes is for a person to read: the inbox.
STRUCTURED_INTENTS = ("yes", "no", "score", "ack")


class EscalationStep(enum.IntEnum):
    """How far the ladder on an unanswered question got (``Message.escalation_step``)."""

    WAITING = 0
    NUDGED = 1  # the one gentle nudge is planned
    ALERTED = 2  # the mentor has a no-reply alert
    STOPPED = 3  # answered another way, or about a moved/cancelled meeting: no ladder


class ReplyChoices(enum.StrEnum):
    """What kind of answer an outgoing question asks for (buttons on Telegram, text on SMS)."""

    YES_NO = "yes_no"
    SCORE = "score"
    ACK = "ack"


# The predicates of the partial indexes that leave out the messages not sent yet (most rows a
# planner writes or cancels): a query comparing the column (``provider_id = ?``, ``sent_at >=
# ?``) implies them, on both engines, so it can use the index.
PROVIDER_KNOWN = text("provider_id IS NOT NULL")
SENT_AT_KNOWN = text("sent_at IS NOT NULL")
TO_STAFF = text("staff_id IS NOT NULL")


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        # The dispatcher's claim: planned rows in order of when they may go.
        Index("ix_messages_status_send_after", "status", "send_after"),
        # A participant's timeline and their open questions.
        Index("ix_messages_participant_created", "participant_id", "created_at"),
        Index(
            "ix_messages_open_questions",
            "participant_id",
            "id",
            postgresql_where=text("expects_reply AND answered_by_id IS NULL"),
            sqlite_where=text("expects_reply AND answered_by_id IS NULL"),
        ),
        # A provider's status callback: by its id, which only a message handed to it has.
        Index(
            "ix_messages_provider",
            "channel",
            "provider_id",
            postgresql_where=PROVIDER_KNOWN,
            sqlite_where=PROVIDER_KNOWN,
        ),
        # The overview's "gone quiet" list: when did this participant last write to us?
        Index("ix_messages_inbound", "participant_id", "direction", "received_at"),
        # The statistics: check-ins sent in a period, and questions sent in a period with when
        # they were answered, counted from the index alone (every column the counts need). Each
        # leads with the column the query compares for equality, so SQLite picks it even
        # before ANALYZE has run (it would otherwise walk ix_messages_status_send_after).
        # Only sent messages are in them (every query of theirs asks for a sending time): a
        # message planned, moved or cancelled before it went costs them nothing.
        Index(
            "ix_messages_checkins_sent",
            "kind",
            "sent_at",
            "status",
            "participant_id",
            "answered_by_id",
            postgresql_where=SENT_AT_KNOWN,
            sqlite_where=SENT_AT_KNOWN,
        ),
        Index(
            "ix_messages_questions_sent",
            "expects_reply",
            "sent_at",
            "participant_id",
            "answered_at",
            postgresql_where=SENT_AT_KNOWN,
            sqlite_where=SENT_AT_KNOWN,
        ),
        # The alert notices a staff member got lately (the digest window): only messages to
        # staff are in it, a few per alert.
        Index(
            "ix_messages_staff_notices",
            "staff_id",
            "kind",
            "due_at",
            postgresql_where=TO_STAFF,
            sqlite_where=TO_STAFF,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    direction: Mapped[Direction] = mapped_column(str_enum(Direction, 8))
    # Null for a message from an unknown sender (kept for an admin) or to staff only.
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE")
    )
    # A message to a staff member (a mentor's alert) names them here.
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    # The staff member who wrote an outgoing message by hand, if any.
    author_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    channel: Mapped[ChannelKind | None] = mapped_column(str_enum(ChannelKind))
    # Recipient (out) or sender (in); chosen at send time when left empty at planning.
    # Encrypted at rest, like the body: never compare either in SQL (see EncryptedText).
    address: Mapped[str | None] = mapped_column(EncryptedText())
    kind: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(EncryptedText())
    language: Mapped[str | None] = mapped_column(String(8))
    choices: Mapped[ReplyChoices | None] = mapped_column(str_enum(ReplyChoices, 12))
    expects_reply: Mapped[bool] = mapped_column(default=False)
    urgent: Mapped[bool] = mapped_column(default=False)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[MessageStatus] = mapped_column(str_enum(MessageStatus, 12))

    # Outgoing: when it was meant to go, and when it may go next (quiet hours, backoff).
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    send_after: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(default=0)
    provider_id: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(String(300))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    # Questions: until when an answer is awaited, and the escalation ladder's progress.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    answered_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    # When that answer arrived (its ``received_at``), set with ``answered_by_id``: the
    # statistics' time to reply reads it from ``ix_messages_questions_sent`` alone.
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    escalation_step: Mapped[int] = mapped_column(default=0)

    # Incoming: when it arrived, what it meant, which question it answered.
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    intent: Mapped[str | None] = mapped_column(String(20))
    intent_value: Mapped[str | None] = mapped_column(String(20))
    in_reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL")
    )
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))

    # What the message is about.
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", ondelete="SET NULL"), index=True
    )
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id", ondelete="SET NULL"))
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id", ondelete="SET NULL"))

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


# A free-text reply from a citizen that no one has read yet: what the inbox and the unread badge
# in every page's header count. The constants are literals, not bound parameters, so that both
# databases can prove a query with this clause matches the partial index below (a parameter
# would hide it from PostgreSQL's generic plans).
UNREAD_INBOX = and_(
    Message.direction == literal_column("'in'"),
    Message.read_at.is_(None),
    or_(
        Message.intent.is_(None),
        Message.intent.not_in([literal_column(f"'{intent}'") for intent in STRUCTURED_INTENTS]),
    ),
)
# Small (only unread free text), so counting it per participant in scope is cheap on every page.
Index(
    "ix_messages_unread_inbox",
    Message.participant_id,
    postgresql_where=UNREAD_INBOX,
    sqlite_where=UNREAD_INBOX,
)
