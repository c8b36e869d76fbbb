"""The ORM models. Importing this package registers every table on ``Base.metadata``."""

from bot.models.alerts import Alert, AlertReason
from bot.models.appointments import (
    Appointment,
    AppointmentKind,
    AppointmentStatus,
    Attendance,
    Confirmation,
)
from bot.models.audit import AuditEvent, InboundEvent
from bot.models.base import Base, EncryptedText, UTCDateTime
from bot.models.checkins import Checkin, CheckinPlanRecord, CheckinStatus
from bot.models.messages import (
    Direction,
    EscalationStep,
    Message,
    MessageKind,
    MessageStatus,
    ReplyChoices,
)
from bot.models.participants import (
    Address,
    AddressStatus,
    ChannelKind,
    Consent,
    ConsentMethod,
    ConsentPurpose,
    EnrolmentCode,
    Outcome,
    Participant,
    ParticipantStatus,
)
from bot.models.sites import Site, SiteKind
from bot.models.staff import ApiToken, Role, Staff, staff_sites
from bot.models.text_overrides import TextOverride

__all__ = [
    "Address",
    "AddressStatus",
    "Alert",
    "AlertReason",
    "ApiToken",
    "Appointment",
    "AppointmentKind",
    "AppointmentStatus",
    "Attendance",
    "AuditEvent",
    "Base",
    "ChannelKind",
    "Checkin",
    "CheckinPlanRecord",
    "CheckinStatus",
    "Confirmation",
    "Consent",
    "ConsentMethod",
    "ConsentPurpose",
    "Direction",
    "EncryptedText",
    "EnrolmentCode",
    "EscalationStep",
    "InboundEvent",
    "Message",
    "MessageKind",
    "MessageStatus",
    "Outcome",
    "Participant",
    "ParticipantStatus",
    "ReplyChoices",
    "Role",
    "Site",
    "SiteKind",
    "Staff",
    "TextOverride",
    "UTCDateTime",
    "staff_sites",
]
