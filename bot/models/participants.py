"""Participants (the citizens), their addresses per channel, enrolment codes and consents."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from bot.crypto import installed_keyring
from bot.models.base import Base, EncryptedText, UTCDateTime, str_enum, utcnow


class ChannelKind(enum.StrEnum):
    SMS = "sms"
    TELEGRAM = "telegram"
    SIMULATOR = "simulator"


class ParticipantStatus(enum.StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


class Outcome(enum.StrEnum):
    """How a participant left the programme (the JobUpdate status table's categories)."""

    JOB = "job"
    EDUCATION = "education"
    OTHER_POSITIVE = "other_positive"
    NO_VISIBLE_RESULT = "no_visible_result"
    ABSCONDED = "absconded"
    TRANSFERRED = "transferred"
    DECEASED = "deceased"
    OTHER = "other"


class AddressStatus(enum.StrEnum):
    ACTIVE = "active"
    UNREACHABLE = "unreachable"  # the provider said the address cannot receive (invalid number)
    OPTED_OUT = "opted_out"  # the citizen stopped this channel (Twilio 21610, bot blocked)


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (
        Index("ix_participants_mentor_status", "mentor_id", "status"),
        Index("ix_participants_prison_status", "prison_id", "status"),
        # The overview's "gone quiet" list, read in order of silence (never heard: NULL).
        Index("ix_participants_status_last_heard", "status", "last_heard_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    language: Mapped[str] = mapped_column(String(8), default="da")
    prison_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="RESTRICT"))
    jobcentre_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="RESTRICT"), index=True
    )
    mentor_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    consultant_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
    release_date: Mapped[date | None] = mapped_column(Date())
    status: Mapped[ParticipantStatus] = mapped_column(
        str_enum(ParticipantStatus), default=ParticipantStatus.ACTIVE
    )
    # STOP/AFMELD: no messages at all until START (the one confirmation aside).
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Per-participant plan override: cadence, pause, preferred hour (schedules.plans reads it).
    plan_override: Mapped[dict[str, Any] | None] = mapped_column(JSON())
    outcome: Mapped[Outcome | None] = mapped_column(str_enum(Outcome))
    outcome_note: Mapped[str | None] = mapped_column(Text())
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When they last wrote to us (the latest ``received_at`` of their inbound messages). Kept
    # by the database, not by us: a trigger on ``messages`` (migration 0012) sets it for every
    # inbound row, whoever writes it. Read-only here.
    last_heard_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    addresses: Mapped[list[Address]] = relationship(
        back_populates="participant", lazy="selectin", order_by="Address.priority"
    )


class Address(Base):
    """Where a participant can be reached on one channel; an address belongs to one person.

    ``address`` is encrypted at rest; ``address_hash`` (a keyed hash of the normalised address,
    set whenever ``address`` or ``channel`` is assigned) is what lookups and the uniqueness
    constraint use. Find an address with ``bot.services.addresses.find_address``.
    """

    __tablename__ = "addresses"
    __table_args__ = (UniqueConstraint("channel", "address_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    channel: Mapped[ChannelKind] = mapped_column(str_enum(ChannelKind))
    # E.164 phone number for SMS, chat id for Telegram, a handle for the simulator. Encrypted.
    address: Mapped[str] = mapped_column(EncryptedText())
    address_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[AddressStatus] = mapped_column(
        str_enum(AddressStatus), default=AddressStatus.ACTIVE
    )
    # Lower is preferred; the first active, consented address gets the messages.
    priority: Mapped[int] = mapped_column(default=0)
    status_reason: Mapped[str | None] = mapped_column(String(200))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    participant: Mapped[Participant] = relationship(back_populates="addresses")

    @validates("address", "channel")
    def _keep_hash_current(self, key: str, value: str) -> str:
        channel = value if key == "channel" else self.channel
        address = value if key == "address" else self.address
        if channel is not None and address is not None:
            self.address_hash = installed_keyring().lookup_hash(str(channel), address)
        return value


class EnrolmentCode(Base):
    """A single-use, expiring code for the Telegram deep link ``/start <code>``; stored hashed."""

    __tablename__ = "enrolment_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(128), unique=True)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ConsentPurpose(enum.StrEnum):
    CHECKINS = "checkins"
    MEETING_REMINDERS = "meeting_reminders"
    MENTOR_CONTACT = "mentor_contact"


class ConsentMethod(enum.StrEnum):
    REPLY = "reply"  # the citizen answered the consent question
    STAFF_RECORDED = "staff_recorded"  # given on paper, recorded by staff


class Consent(Base):
    """One consent for one purpose: when, on which channel, to what exact text, and withdrawal."""

    __tablename__ = "consents"
    __table_args__ = (Index("ix_consents_participant_purpose", "participant_id", "purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    purpose: Mapped[ConsentPurpose] = mapped_column(str_enum(ConsentPurpose))
    channel: Mapped[ChannelKind | None] = mapped_column(str_enum(ChannelKind))
    method: Mapped[ConsentMethod] = mapped_column(str_enum(ConsentMethod))
    # The exact text consented to (encrypted: a consent text can name the programme).
    text: Mapped[str] = mapped_column(EncryptedText())
    given_at: Mapped[datetime] = mapped_column(UTCDateTime())
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
