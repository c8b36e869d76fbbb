"""What each message is for and what each placeholder holds, in plain words, for admins.

English here, Danish in ``DANISH`` (merged into ``bot.web.ui_text.DANISH``, so templates
translate these with ``_()`` like every other dashboard text). A test checks that every message
an admin may override (``bot.text_rules.MESSAGES``) has a purpose, and every purpose and
placeholder a Danish translation.
"""

from __future__ import annotations

from collections.abc import Mapping

PURPOSES: Mapping[str, str] = {
    "CONSENT_REQUEST": "The first message to a new participant: asks for consent to write.",
    "CONSENT_REMINDER": "The one reminder when the participant has not answered the consent "
    "question.",
    "CONSENT_THANKS": "Answer to a yes to the consent question.",
    "CONSENT_DECLINED": "Answer to a no to the consent question.",
    "CHECKIN_QUESTION": "The check-in: how are things going, 1 to 5.",
    "CHECKIN_THANKS": "Answer to a check-in score of 3 to 5.",
    "CHECKIN_LOW_SCORE": "Answer to a check-in score of 1 or 2 (the mentor is alerted).",
    "CHECKIN_NUDGE": "The one gentle nudge when a check-in is not answered in time.",
    "MEETING_CONFIRMATION_REQUEST": "Sent when a meeting is created: asks the participant to "
    "confirm.",
    "MEETING_CONFIRMED": "Answer when the participant confirms a meeting.",
    "MEETING_DECLINED": "Answer when the participant cannot come to a meeting (the mentor is "
    "alerted).",
    "MEETING_REMINDER_24H": "Reminder the day before a meeting.",
    "MEETING_REMINDER_2H": "Reminder two hours before a meeting.",
    "MEETING_REMINDER": "Reminder at any other time before a meeting.",
    "MEETING_MOVED": "Sent when a meeting is moved: asks the participant to confirm the new time.",
    "MEETING_CANCELLED": "Sent when a meeting is cancelled.",
    "CONFIRMATION_NUDGE": "The one nudge when a meeting confirmation is not answered in time.",
    "ATTENDANCE_QUESTION": "Asked after a meeting: did the participant make it.",
    "ATTENDANCE_THANKS": "Answer when the participant says they came to the meeting.",
    "ATTENDANCE_MISSED": "Answer when the participant says they did not come (the mentor is "
    "alerted).",
    "FREE_TEXT_ACK": "Answer to a message in the participant's own words.",
    "NO_OPEN_QUESTION": "Answer to a plain yes, no or number when no question is open.",
    "HELP": "Answer to HJÆLP (HELP): the commands and the contact person.",
    "STOP_CONFIRMATION": "Answer to STOP: no more messages, and how to come back.",
    "START_CONFIRMATION": "Answer to START: messages again.",
    "LANGUAGE_CHANGED": "Answer to SPROG DA / SPROG EN, in the new language.",
    "LANGUAGE_UNKNOWN": "Answer to SPROG with a language we do not have.",
    "UNKNOWN_SENDER": "Answer (once a day) to a number or chat that is not signed up.",
    "TELEGRAM_LINK_INVALID": "Answer on Telegram to a used or expired sign-up link.",
    "ALERT_NO_REPLY": "To the mentor: the participant has not answered.",
    "ALERT_DECLINED_MEETING": "To the mentor: the participant cannot come to a meeting.",
    "ALERT_MISSED_MEETING": "To the mentor: the participant missed a meeting.",
    "ALERT_LOW_SCORE": "To the mentor: a low check-in score.",
    "ALERT_WORRYING_REPLY": "To the mentor: a message that may be worrying.",
    "ALERT_UNREACHABLE": "To the mentor and consultant: the participant can no longer be reached.",
    "ALERT_DELIVERY_FAILED": "To the mentor: a message to the participant could not be delivered.",
    "ALERT_ESCALATED": "To the consultant: the mentor has not taken an alert in time.",
    "DIGEST_HEADER": "First line of several alerts sent together.",
    "DIGEST_LINE": "One alert in a message with several alerts.",
    "ALERT_ACKNOWLEDGED": "Answer to a mentor's OK: the alert is theirs.",
    "ALERT_NOT_FOUND": "Answer to a mentor's OK with a number that has no open alert.",
}

PLACEHOLDERS: Mapping[str, str] = {
    "name": "the participant's first name (in alerts: the full name)",
    "mentor_name": "the mentor's full name",
    "kind_label": "the kind of meeting in neutral words, e.g. a meeting at the jobcentre",
    "date": "a weekday and date",
    "since": "a weekday and date",
    "time": "a time of day",
    "place": "the meeting place, as staff typed it",
    "alert_id": "the alert's number",
    "score": "the score, 1 to 5",
    "count": "how many alerts",
    "reason": "the reason for an alert in a few words",
}

DANISH: Mapping[str, str] = {
    "The first message to a new participant: asks for consent to write.": (
        "Den første besked til en ny deltager: beder om samtykke til at skrive."
    ),
    "The one reminder when the participant has not answered the consent question.": (
        "Den ene påmindelse, når deltageren ikke har svaret på spørgsmålet om samtykke."
    ),
    "Answer to a yes to the consent question.": "Svar på et ja til spørgsmålet om samtykke.",
    "Answer to a no to the consent question.": "Svar på et nej til spørgsmålet om samtykke.",
    "The check-in: how are things going, 1 to 5.": "Check-in: hvordan går det, 1 til 5.",
    "Answer to a check-in score of 3 to 5.": "Svar på en check-in-score på 3 til 5.",
    "Answer to a check-in score of 1 or 2 (the mentor is alerted).": (
        "Svar på en check-in-score på 1 eller 2 (mentoren får en alarm)."
    ),
    "The one gentle nudge when a check-in is not answered in time.": (
        "Den ene venlige påmindelse, når en check-in ikke bliver besvaret i tide."
    ),
    "Sent when a meeting is created: asks the participant to confirm.": (
        "Sendes, når et møde oprettes: beder deltageren bekræfte."
    ),
    "Answer when the participant confirms a meeting.": "Svar, når deltageren bekræfter et møde.",
    "Answer when the participant cannot come to a meeting (the mentor is alerted).": (
        "Svar, når deltageren ikke kan komme til et møde (mentoren får en alarm)."
    ),
    "Reminder the day before a meeting.": "Påmindelse dagen før et møde.",
    "Reminder two hours before a meeting.": "Påmindelse to timer før et møde.",
    "Reminder at any other time before a meeting.": "Påmindelse på et andet tidspunkt før et møde.",
    "Sent when a meeting is moved: asks the participant to confirm the new time.": (
        "Sendes, når et møde flyttes: beder deltageren bekræfte det nye tidspunkt."
    ),
    "Sent when a meeting is cancelled.": "Sendes, når et møde aflyses.",
    "The one nudge when a meeting confirmation is not answered in time.": (
        "Den ene påmindelse, når en mødebekræftelse ikke bliver besvaret i tide."
    ),
    "Asked after a meeting: did the participant make it.": (
        "Spørges efter et møde: kom deltageren."
    ),
    "Answer when the participant says they came to the meeting.": (
        "Svar, når deltageren siger, at de kom til mødet."
    ),
    "Answer when the participant says they did not come (the mentor is alerted).": (
        "Svar, når deltageren siger, at de ikke kom (mentoren får en alarm)."
    ),
    "Answer to a message in the participant's own words.": (
        "Svar på en besked med deltagerens egne ord."
    ),
    "Answer to a plain yes, no or number when no question is open.": (
        "Svar på et ja, nej eller tal, når der ikke er noget åbent spørgsmål."
    ),
    "Answer to HJÆLP (HELP): the commands and the contact person.": (
        "Svar på HJÆLP: kommandoerne og kontaktpersonen."
    ),
    "Answer to STOP: no more messages, and how to come back.": (
        "Svar på STOP: ingen flere beskeder, og hvordan man kommer tilbage."
    ),
    "Answer to START: messages again.": "Svar på START: beskeder igen.",
    "Answer to SPROG DA / SPROG EN, in the new language.": (
        "Svar på SPROG DA / SPROG EN, på det nye sprog."
    ),
    "Answer to SPROG with a language we do not have.": ("Svar på SPROG med et sprog, vi ikke har."),
    "Answer (once a day) to a number or chat that is not signed up.": (
        "Svar (én gang om dagen) til et nummer eller en chat, der ikke er tilmeldt."
    ),
    "Answer on Telegram to a used or expired sign-up link.": (
        "Svar på Telegram til et brugt eller udløbet tilmeldingslink."
    ),
    "To the mentor: the participant has not answered.": "Til mentoren: deltageren har ikke svaret.",
    "To the mentor: the participant cannot come to a meeting.": (
        "Til mentoren: deltageren kan ikke komme til et møde."
    ),
    "To the mentor: the participant missed a meeting.": (
        "Til mentoren: deltageren udeblev fra et møde."
    ),
    "To the mentor: a low check-in score.": "Til mentoren: en lav check-in-score.",
    "To the mentor: a message that may be worrying.": (
        "Til mentoren: en besked, der kan være bekymrende."
    ),
    "To the mentor and consultant: the participant can no longer be reached.": (
        "Til mentor og konsulent: deltageren kan ikke længere nås."
    ),
    "To the mentor: a message to the participant could not be delivered.": (
        "Til mentoren: en besked til deltageren kunne ikke leveres."
    ),
    "To the consultant: the mentor has not taken an alert in time.": (
        "Til konsulenten: mentoren har ikke taget en alarm i tide."
    ),
    "First line of several alerts sent together.": "Første linje, når flere alarmer sendes samlet.",
    "One alert in a message with several alerts.": "Én alarm i en besked med flere alarmer.",
    "Answer to a mentor's OK: the alert is theirs.": ("Svar på en mentors OK: alarmen er deres."),
    "Answer to a mentor's OK with a number that has no open alert.": (
        "Svar på en mentors OK med et nummer uden en åben alarm."
    ),
    # Placeholders
    "the participant's first name (in alerts: the full name)": (
        "deltagerens fornavn (i alarmer: det fulde navn)"
    ),
    "the mentor's full name": "mentorens fulde navn",
    "the kind of meeting in neutral words, e.g. a meeting at the jobcentre": (
        "mødets art i neutrale ord, fx et møde på jobcentret"
    ),
    "a weekday and date": "en ugedag og dato",
    "a time of day": "et klokkeslæt",
    "the meeting place, as staff typed it": "mødestedet, som medarbejderen skrev det",
    "the alert's number": "alarmens nummer",
    "the score, 1 to 5": "scoren, 1 til 5",
    "how many alerts": "hvor mange alarmer",
    "the reason for an alert in a few words": "årsagen til en alarm med få ord",
}
