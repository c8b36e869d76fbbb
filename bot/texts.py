"""Every text the bot sends to a citizen or a mentor, as gettext message ids.

The English source text is the msgid; ``bot/locale/<lang>/LC_MESSAGES/messages.po`` holds the
translations (Danish is the default language) and ``bot.i18n.Catalogs.render`` looks one up and
fills its ``{named}`` fields with ``str.format``. ``N_`` only marks a string for extraction.

Rules every text here keeps (``tests/unit/test_texts.py`` checks them in both languages, with
``bot.text_rules.check``; an admin's own wording of a message, set in the dashboard and stored by
``bot.services.text_overrides``, is refused unless it keeps them too):

1. Nothing that tells whoever sees the lock screen where the citizen has been: no prison,
   probation, treatment centre, offence or sentence. A meeting is "your meeting" with a time and
   a place; meeting kinds get neutral labels (a release meeting is just "a meeting").
2. Short, plain, one question at a time; an SMS fits one GSM-7 segment (160 characters) after
   typical substitution. Only GSM-7 characters (ae, o-slash and a-ring are fine; curly quotes,
   dashes other than "-", non-breaking spaces, emoji and the ellipsis character are not).
3. No URLs (Danish operators filter them).
4. A question states its choices in words, not as a command: on SMS the channel appends the
   reply hint (``REPLY_HINTS``), on Telegram the buttons do that job.

After changing a text here, refresh the catalogs, then translate what is new or fuzzy in both
``.po`` files and drop the fuzzy flag (a fuzzy entry is not used: it renders as the English)::

    pybabel extract --no-location --add-comments=Translators: --project=brobygger \\
        --copyright-holder=Brobygger -o bot/locale/messages.pot bot/texts.py
    pybabel update --ignore-obsolete -i bot/locale/messages.pot -d bot/locale
"""

from __future__ import annotations

from collections.abc import Mapping


def N_(message: str) -> str:
    """Mark ``message`` for extraction; the translation happens at render time."""
    return message


# --- Consent -------------------------------------------------------------------------------

# Translators: the first message. {name}: the citizen's first name; {mentor_name}: the
# mentor's full name. To a citizen the mentor is their "contact person" (kontaktperson).
# Questions end with their question: on SMS "Reply YES or NO." follows.
CONSENT_REQUEST = N_(
    "Hi {name}, welcome to mentor support. Your contact person is {mentor_name}. "
    "Reply STOP to stop. May we send you messages?"
)
# Translators: the one and only reminder of the consent question.
CONSENT_REMINDER = N_(
    "Hi {name}, we are asking one last time and will not write again if you do not reply. "
    "May we send you messages from your contact person?"
)
CONSENT_THANKS = N_(
    "Thank you! You will now get short messages from us. Reply HELP for help or STOP to stop."
)
CONSENT_DECLINED = N_("OK, we will not send you any messages. Reply START if you change your mind.")

# --- Check-ins -----------------------------------------------------------------------------

CHECKIN_QUESTION = N_("Hi {name}. How are things going, from 1 (very bad) to 5 (very good)?")
CHECKIN_THANKS = N_("Thanks for your answer. Good to hear from you!")
CHECKIN_LOW_SCORE = N_(
    "Thank you for telling us. Your contact person will get in touch with you soon."
)
CHECKIN_NUDGE = N_(
    "Hi {name}, we would like to hear from you. How are things going, "
    "from 1 (very bad) to 5 (very good)?"
)

# --- Meetings ------------------------------------------------------------------------------

# Translators: {kind_label} is one of the "a meeting ..." labels below, {date} a weekday and
# date such as "Tuesday 11 March", {time} a time such as "10:00", {place} typed by staff.
MEETING_CONFIRMATION_REQUEST = N_(
    "You have {kind_label} on {date} at {time}. Place: {place}. Can you come?"
)
MEETING_CONFIRMED = N_("Thanks, good that you can come. We will remind you before the meeting.")
MEETING_DECLINED = N_(
    "Thanks for letting us know. Your contact person will get in touch about a new time."
)
MEETING_REMINDER_24H = N_("Remember your meeting tomorrow at {time}. Place: {place}.")
MEETING_REMINDER_2H = N_("Remember your meeting in 2 hours, at {time}. Place: {place}.")
# Translators: a reminder at any other offset than 24 or 2 hours before.
MEETING_REMINDER = N_("Remember your meeting on {date} at {time}. Place: {place}.")
MEETING_MOVED = N_("Your meeting has moved to {date} at {time}. Place: {place}. Can you come?")
MEETING_CANCELLED = N_(
    "Your meeting on {date} at {time} is cancelled. Your contact person will tell you more."
)
CONFIRMATION_NUDGE = N_(
    "We are still waiting for your answer: can you come to your meeting on {date} at {time}?"
)
ATTENDANCE_QUESTION = N_("Did you make it to your meeting on {date}?")
ATTENDANCE_THANKS = N_("Thanks for your answer.")
ATTENDANCE_MISSED = N_(
    "Thanks for telling us. Your contact person will get in touch with you soon."
)

# --- Anything else a citizen writes --------------------------------------------------------

FREE_TEXT_ACK = N_("Thanks for your message. Your contact person will read it.")
NO_OPEN_QUESTION = N_(
    "Thanks for your reply. There is no open question right now. Reply HELP for help."
)
# Translators: SPROG DA / SPROG EN are commands and stay as they are in both languages.
HELP = N_(
    "Reply YES or NO to a question, and 1-5 to say how things are going. HELP: this message. "
    "STOP: no more messages. START: messages again. SPROG DA: Danish. "
    "Questions? Talk to your contact person {mentor_name}."
)
STOP_CONFIRMATION = N_("You will not get any more messages. Reply START to start again.")
START_CONFIRMATION = N_("Welcome back! You will get messages again. Reply STOP to stop.")
# Translators: sent in the new language, so say the name of this catalog's language.
LANGUAGE_CHANGED = N_("OK, from now on we will write to you in English.")
LANGUAGE_UNKNOWN = N_("Reply SPROG EN for English or SPROG DA for Danish.")
UNKNOWN_SENDER = N_(
    "Hi. This number is not signed up with us. "
    "If you think this is a mistake, please talk to your contact person."
)
TELEGRAM_LINK_INVALID = N_("This link does not work. Ask your contact person for a new one.")

# --- Reply hints, appended to a question sent by SMS -----------------------------------------

REPLY_HINT_YES_NO = N_("Reply YES or NO.")
REPLY_HINT_SCORE = N_("Reply 1-5.")

# --- Meeting kinds: neutral on purpose (a release or treatment meeting is "a meeting") -------

# Translators: meeting labels fill {kind_label} in "You have {kind_label} on ...".
KIND_MEETING = N_("a meeting")
KIND_JOBCENTRE = N_("a meeting at the jobcentre")
KIND_MENTOR = N_("a meeting with your contact person")
KIND_EDUCATION_WORK = N_("a meeting about work or education")

# --- Telegram buttons ----------------------------------------------------------------------

BUTTON_YES = N_("Yes")
BUTTON_NO = N_("No")
BUTTON_TAKE_ALERT = N_("I'm on it")

# --- To mentors (and consultants, when an alert escalates) ---------------------------------

# Translators: {name} is the citizen's name, {since} a date, {alert_id} a number. "OK" is the
# command that acknowledges an alert and stays "OK" in every language.
ALERT_NO_REPLY = N_("{name} has not replied since {since}. Reply OK {alert_id} when you are on it.")
ALERT_DECLINED_MEETING = N_(
    "{name} cannot come to the meeting on {date} at {time}. Reply OK {alert_id} when you are on it."
)
ALERT_MISSED_MEETING = N_(
    "{name} did not come to the meeting on {date} at {time}. "
    "Reply OK {alert_id} when you are on it."
)
ALERT_LOW_SCORE = N_(
    "{name} rated how things are going {score} out of 5. Reply OK {alert_id} when you are on it."
)
ALERT_WORRYING_REPLY = N_(
    "{name} wrote a message that may be worrying. Read it on the dashboard. "
    "Reply OK {alert_id} when you are on it."
)
ALERT_UNREACHABLE = N_(
    "We can no longer reach {name} by SMS or Telegram. Please get in touch another way. "
    "Reply OK {alert_id} when you are on it."
)
ALERT_DELIVERY_FAILED = N_(
    "A message to {name} could not be delivered. Check the contact details on the dashboard. "
    "Reply OK {alert_id} when you are on it."
)
# Translators: to the consultant when the mentor has not acknowledged an alert in time.
ALERT_ESCALATED = N_(
    "{mentor_name} has not taken the alert about {name}: {reason}. "
    "Reply OK {alert_id} when you are on it."
)
# Translators: "New alerts: 3" avoids a plural form.
DIGEST_HEADER = N_("New alerts: {count}")
DIGEST_LINE = N_("- {name}: {reason} (OK {alert_id})")
ALERT_ACKNOWLEDGED = N_("Noted: you have taken the alert about {name}.")
ALERT_NOT_FOUND = N_("There is no open alert with number {alert_id}.")

# Translators: a short reason, used in the digest line and the escalation.
REASON_NO_REPLY = N_("no reply")
REASON_DECLINED_MEETING = N_("cannot come to a meeting")
REASON_MISSED_MEETING = N_("missed a meeting")
REASON_LOW_SCORE = N_("low score")
REASON_WORRYING_REPLY = N_("worrying message")
REASON_UNREACHABLE = N_("cannot be reached")
REASON_DELIVERY_FAILED = N_("message not delivered")


# --- Look-ups keyed by the models' StrEnum values (a StrEnum member is its value) -----------

# ``bot.models.messages.ReplyChoices``; "ack" and no choices get no hint.
REPLY_HINTS: Mapping[str, str] = {
    "yes_no": REPLY_HINT_YES_NO,
    "score": REPLY_HINT_SCORE,
}

# Every question to a citizen -> the ``ReplyChoices`` value to store with it: Telegram shows
# buttons for it, SMS appends ``REPLY_HINTS[choices]``.
QUESTION_CHOICES: Mapping[str, str] = {
    CONSENT_REQUEST: "yes_no",
    CONSENT_REMINDER: "yes_no",
    CHECKIN_QUESTION: "score",
    CHECKIN_NUDGE: "score",
    MEETING_CONFIRMATION_REQUEST: "yes_no",
    MEETING_MOVED: "yes_no",
    CONFIRMATION_NUDGE: "yes_no",
    ATTENDANCE_QUESTION: "yes_no",
}

# ``bot.models.appointments.AppointmentKind``. Release and treatment meetings get the plain label
# on purpose; an unknown kind does too (``meeting_kind_label``).
MEETING_KIND_LABELS: Mapping[str, str] = {
    "release_meeting": KIND_MEETING,
    "jobcentre": KIND_JOBCENTRE,
    "mentor": KIND_MENTOR,
    "treatment": KIND_MEETING,
    "education_work": KIND_EDUCATION_WORK,
    "other": KIND_MEETING,
}

# ``bot.models.alerts.AlertReason``.
ALERT_REASON_LABELS: Mapping[str, str] = {
    "no_reply": REASON_NO_REPLY,
    "declined_meeting": REASON_DECLINED_MEETING,
    "missed_meeting": REASON_MISSED_MEETING,
    "low_score": REASON_LOW_SCORE,
    "worrying_reply": REASON_WORRYING_REPLY,
    "unreachable": REASON_UNREACHABLE,
    "delivery_failed": REASON_DELIVERY_FAILED,
}

# ``bot.models.alerts.AlertReason`` -> the mentor's alert message.
ALERT_MESSAGES: Mapping[str, str] = {
    "no_reply": ALERT_NO_REPLY,
    "declined_meeting": ALERT_DECLINED_MEETING,
    "missed_meeting": ALERT_MISSED_MEETING,
    "low_score": ALERT_LOW_SCORE,
    "worrying_reply": ALERT_WORRYING_REPLY,
    "unreachable": ALERT_UNREACHABLE,
    "delivery_failed": ALERT_DELIVERY_FAILED,
}


def meeting_kind_label(kind: str) -> str:
    """The (untranslated) label for a meeting kind; anything unknown is just "a meeting"."""
    return MEETING_KIND_LABELS.get(kind, KIND_MEETING)


# --- Groups, so tests can hold each to its own limits --------------------------------------

# Whole messages to a citizen: one SMS segment each (with the reply hint), except HELP.
CITIZEN_MESSAGES: tuple[str, ...] = (
    CONSENT_REQUEST,
    CONSENT_REMINDER,
    CONSENT_THANKS,
    CONSENT_DECLINED,
    CHECKIN_QUESTION,
    CHECKIN_THANKS,
    CHECKIN_LOW_SCORE,
    CHECKIN_NUDGE,
    MEETING_CONFIRMATION_REQUEST,
    MEETING_CONFIRMED,
    MEETING_DECLINED,
    MEETING_REMINDER_24H,
    MEETING_REMINDER_2H,
    MEETING_REMINDER,
    MEETING_MOVED,
    MEETING_CANCELLED,
    CONFIRMATION_NUDGE,
    ATTENDANCE_QUESTION,
    ATTENDANCE_THANKS,
    ATTENDANCE_MISSED,
    FREE_TEXT_ACK,
    NO_OPEN_QUESTION,
    HELP,
    STOP_CONFIRMATION,
    START_CONFIRMATION,
    LANGUAGE_CHANGED,
    LANGUAGE_UNKNOWN,
    UNKNOWN_SENDER,
    TELEGRAM_LINK_INVALID,
)

# Whole messages to staff (a mentor, or a consultant after escalation).
STAFF_MESSAGES: tuple[str, ...] = (
    ALERT_NO_REPLY,
    ALERT_DECLINED_MEETING,
    ALERT_MISSED_MEETING,
    ALERT_LOW_SCORE,
    ALERT_WORRYING_REPLY,
    ALERT_UNREACHABLE,
    ALERT_DELIVERY_FAILED,
    ALERT_ESCALATED,
    DIGEST_HEADER,
    DIGEST_LINE,
    ALERT_ACKNOWLEDGED,
    ALERT_NOT_FOUND,
)

# Pieces that go into a message or onto a button, never sent alone.
FRAGMENTS: tuple[str, ...] = (
    REPLY_HINT_YES_NO,
    REPLY_HINT_SCORE,
    KIND_MEETING,
    KIND_JOBCENTRE,
    KIND_MENTOR,
    KIND_EDUCATION_WORK,
    BUTTON_YES,
    BUTTON_NO,
    BUTTON_TAKE_ALERT,
    REASON_NO_REPLY,
    REASON_DECLINED_MEETING,
    REASON_MISSED_MEETING,
    REASON_LOW_SCORE,
    REASON_WORRYING_REPLY,
    REASON_UNREACHABLE,
    REASON_DELIVERY_FAILED,
)
