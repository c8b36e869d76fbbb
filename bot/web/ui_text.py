"""The dashboard's own words: English in the templates, Danish from this table.

The UI is Danish by default and English on request (the language switch). Templates call
``_("English text")``; a test checks that every such text has a Danish entry here. Citizen-facing
texts are a different thing and live in ``bot/locale`` (Babel catalogs).
"""

from __future__ import annotations

from collections.abc import Callable

from bot.web import deployment_settings, text_purposes

UI_LANGUAGES = ("da", "en")


def ui_language(language: str | None) -> str:
    return language if language in UI_LANGUAGES else "da"


def translator(language: str) -> Callable[[str], str]:
    if language == "en":
        return lambda text: text
    return lambda text: DANISH.get(text, text)


DANISH: dict[str, str] = {
    # Navigation and pages
    "Overview": "Overblik",
    "Participants": "Deltagere",
    "Participant": "Deltager",
    "Inbox": "Indbakke",
    "Statistics": "Statistik",
    "Staff": "Medarbejdere",
    "Sites": "Steder",
    "Unread replies": "Ulæste svar",
    "Sign in": "Log ind",
    "Sign out": "Log ud",
    "E-mail": "E-mail",
    "Password": "Adgangskode",
    "Wrong e-mail or password.": "Forkert e-mail eller adgangskode.",
    "Too many attempts. Wait a quarter of an hour and try again.": (
        "For mange forsøg. Vent et kvarter, og prøv igen."
    ),
    "Not found.": "Findes ikke.",
    "Your role may not do this.": "Din rolle må ikke gøre dette.",
    "Back to the overview": "Tilbage til overblikket",
    "the form has expired; reload the page": "formularen er udløbet; genindlæs siden",
    "choose an outcome": "vælg et resultat",
    "no such planned message": "ingen sådan planlagt besked",
    # Overview
    "Open alerts": "Åbne alarmer",
    "Raised": "Oprettet",
    "Reason": "Årsag",
    "Detail": "Detaljer",
    "Acknowledge": "Kvittér",
    "Acknowledged": "Kvitteret",
    "No open alerts.": "Ingen åbne alarmer.",
    "Meetings in the next days": "Møder de næste dage",
    "When": "Hvornår",
    "Kind": "Type",
    "Place": "Sted",
    "Confirmation": "Bekræftelse",
    "No meetings in the next days.": "Ingen møder de næste dage.",
    "Gone quiet": "Er blevet tavse",
    "last heard": "sidst hørt",
    "never replied": "har aldrig svaret",
    "Everyone has replied lately.": "Alle har svaret for nylig.",
    "Messages that failed": "Beskeder der fejlede",
    "No failed messages.": "Ingen fejlede beskeder.",
    # Participants
    "New participant": "Ny deltager",
    "Edit participant": "Ret deltager",
    "Search": "Søg",
    "Site": "Sted",
    "All": "Alle",
    "Mentor": "Mentor",
    "Consultant": "Konsulent",
    "Status": "Status",
    "Released from": "Løsladt fra",
    "to": "til",
    "Filter": "Filtrér",
    "Name": "Navn",
    "Release date": "Løsladelsesdato",
    "Prison": "Fængsel",
    "Jobcentre": "Jobcenter",
    "days": "dage",
    "No participants match.": "Ingen deltagere passer.",
    "Please correct the marked fields.": "Ret venligst de markerede felter.",
    "Language": "Sprog",
    "Channel": "Kanal",
    "Channels": "Kanaler",
    "Mobile number": "Mobilnummer",
    "Save": "Gem",
    # Validation messages (ours and the common ones from pydantic)
    "not a phone number": "ikke et telefonnummer",
    "not a valid phone number": "ikke et gyldigt telefonnummer",
    "a phone number is needed for SMS": "SMS kræver et telefonnummer",
    "this number belongs to another participant": "nummeret tilhører en anden deltager",
    "the release date is out of range": "løsladelsesdatoen er uden for det mulige",
    "the release date is more than ten years away": "løsladelsesdatoen er mere end ti år væk",
    "no active staff member with this role": "ingen aktiv medarbejder med denne rolle",
    "no prison with this id": "fængslet findes ikke",
    "no jobcentre with this id": "jobcentret findes ikke",
    "contains control characters": "indeholder kontroltegn",
    "String should have at least 1 character": "skal udfyldes",
    "Field required": "skal udfyldes",
    "the message is empty": "beskeden er tom",
    "Telegram is joined by the citizen's link; choose SMS": (
        "Telegram tilmeldes via borgerens link; vælg SMS"
    ),
    # Timeline
    "Outcome": "Resultat",
    "Edit": "Ret",
    "Timeline as CSV": "Tidslinje som CSV",
    "Report for the municipality": "Rapport til kommunen",
    "Write to the participant": "Skriv til deltageren",
    "Send": "Send",
    "Planned messages": "Planlagte beskeder",
    "Due": "Planlagt til",
    "Text": "Tekst",
    "Cancel": "Aflys",
    "Timeline": "Tidslinje",
    "In": "Ind",
    "Out": "Ud",
    "meaning": "betydning",
    "written by": "skrevet af",
    "Meeting": "Møde",
    "Alert": "Alarm",
    "acknowledged by": "kvitteret af",
    "Consent": "Samtykke",
    "withdrawn": "trukket tilbage",
    "Close and record the outcome": "Afslut og registrér resultatet",
    "Note": "Note",
    "Close": "Afslut",
    # Roles, statuses and kinds (enum values)
    "admin": "administrator",
    "consultant": "konsulent",
    "mentor": "mentor",
    "active": "aktiv",
    "closed": "afsluttet",
    "sms": "SMS",
    "telegram": "Telegram",
    "simulator": "telefonsimulator",
    "unreachable": "kan ikke nås",
    "opted_out": "frameldt",
    "planned": "planlagt",
    "sending": "sendes",
    "sent": "sendt",
    "delivered": "leveret",
    "failed": "fejlet",
    "cancelled": "aflyst",
    "suppressed": "ikke sendt",
    "unknown": "ukendt",
    "received": "modtaget",
    "pending": "afventer svar",
    "confirmed": "bekræftet",
    "declined": "afslået",
    "attended": "mødt",
    "missed": "udeblevet",
    "scheduled": "planlagt",
    "release_meeting": "løsladelsesmøde",
    "jobcentre": "jobcenter",
    "prison": "fængsel",
    "treatment": "behandling",
    "education_work": "uddannelse/arbejde",
    "other": "andet",
    "no_reply": "intet svar",
    "declined_meeting": "afslog møde",
    "missed_meeting": "udeblev fra møde",
    "low_score": "lav score",
    "worrying_reply": "bekymrende svar",
    "delivery_failed": "levering fejlede",
    "job": "job",
    "education": "uddannelse",
    "other_positive": "andet positivt",
    "no_visible_result": "uden direkte synligt resultat",
    "absconded": "undvegen",
    "transferred": "overflyttet",
    "deceased": "afdød",
    "checkins": "check-ins",
    "meeting_reminders": "mødepåmindelser",
    "mentor_contact": "kontakt fra mentor",
    "reply": "svar",
    "staff_recorded": "registreret af medarbejder",
    "consent_request": "samtykkeforespørgsel",
    "consent_reminder": "samtykkepåmindelse",
    "consent_reply": "samtykkesvar",
    "checkin": "check-in",
    "checkin_nudge": "påmindelse om check-in",
    "confirmation_request": "anmodning om bekræftelse",
    "confirmation_nudge": "påmindelse om bekræftelse",
    "reminder": "mødepåmindelse",
    "meeting_moved": "møde flyttet",
    "meeting_cancelled": "møde aflyst",
    "attendance_question": "spørgsmål om fremmøde",
    "stop_confirmation": "bekræftelse af stop",
    "start_confirmation": "bekræftelse af start",
    "unknown_sender_reply": "svar til ukendt afsender",
    "staff_message": "besked fra medarbejder",
    "alert": "alarm",
    "alert_digest": "alarmoversigt",
    "inbound": "indgående",
    "yes": "ja",
    "no": "nej",
    "score": "score",
    "help": "hjælp",
    "stop": "stop",
    "start": "start",
    "language": "sprog",
    "ack": "ok",
    "free_text": "fritekst",
    "enrolled": "tilmeldt",
    "message_out": "besked ud",
    "message_in": "besked ind",
    "meeting": "møde",
    "consent": "samtykke",
    "—": "—",
    # Statistics and reports
    "Referred": "Henvist",
    "Active": "Aktive",
    "Closed": "Afsluttet",
    "Closed positively": "Afsluttet positivt",
    "No visible result": "Uden direkte synligt resultat",
    "Other": "Andet",
    "Total": "I alt",
    "In total": "I alt",
    "Per prison": "Pr. fængsel",
    "Per jobcentre": "Pr. jobcenter",
    "From": "Fra",
    "Show": "Vis",
    "Table as CSV": "Tabel som CSV",
    "Contact": "Kontakt",
    "Reply rate to check-ins": "Svarprocent på check-ins",
    "Confirmation rate of meetings": "Bekræftelsesprocent for møder",
    "Attendance rate of meetings": "Fremmødeprocent for møder",
    "Median time to reply": "Mediantid til svar",
    "hours": "timer",
    "Alerts per participant": "Alarmer pr. deltager",
    "Report": "Rapport",
    "Period": "Periode",
    "Meetings and attendance": "Møder og fremmøde",
    "meetings": "møder",
    "Attendance": "Fremmøde",
    "No meetings in the period.": "Ingen møder i perioden.",
    "Check-ins": "Check-ins",
    "of": "af",
    "check-ins answered": "check-ins besvaret",
    "average score": "gennemsnitlig score",
    "messages in own words": "beskeder med egne ord",
    "Alerts": "Alarmer",
    "acknowledged": "kvitteret",
    "No alerts in the period.": "Ingen alarmer i perioden.",
    # Meetings and the phone simulator
    "Meetings": "Møder",
    "Date": "Dato",
    "Time": "Klokken",
    "Move": "Flyt",
    "Attended": "Mødt",
    "Missed": "Udeblev",
    "No meetings yet.": "Ingen møder endnu.",
    "New meeting": "Nyt møde",
    "Place (the citizen sees it)": "Sted (borgeren ser det)",
    "Note for staff": "Note til medarbejdere",
    "The place may be shown even if it names a sensitive place": (
        "Stedet må vises, selv om det nævner et følsomt sted"
    ),
    "Add meeting": "Tilføj møde",
    "The participant's phone (simulator)": "Deltagerens telefon (simulator)",
    "Nothing received yet.": "Intet modtaget endnu.",
    "Reply as the participant": "Svar som deltageren",
    "Send reply": "Send svar",
    # Inbox
    "Their own words; plain answers are on the timeline.": (
        "Deres egne ord; korte svar (ja, nej, en score) står på tidslinjen."
    ),
    "Mark all read": "Markér alle som læst",
    "Received": "Modtaget",
    "new": "ny",
    "Mark read": "Markér som læst",
    "Nothing yet.": "Intet endnu.",
    # Admins: message texts, the check-in plan, the deployment settings
    "Message texts": "Beskedtekster",
    "Check-in plan": "Check-in-plan",
    "Settings": "Indstillinger",
    "Every message the bot sends to participants and staff. An admin may replace the wording "
    "of a message in each language; the default comes with Brobygger. A new text is used for "
    "messages planned from then on.": (
        "Alle beskeder, som botten sender til deltagere og medarbejdere. En administrator kan "
        "skrive sin egen formulering af en besked på hvert sprog; standardteksten følger med "
        "Brobygger. En ny tekst bruges til beskeder, der planlægges fra da af."
    ),
    "Message": "Besked",
    "own wording": "egen formulering",
    "own wording not in use: it breaks a rule": "egen formulering bruges ikke: den bryder en regel",
    "default": "standard",
    "Default": "Standard",
    "Placeholders": "Pladsholdere",
    "Keep every placeholder, written exactly as here; they are filled in when the message is "
    "sent.": (
        "Behold alle pladsholdere, skrevet præcis som her; de udfyldes, når beskeden sendes."
    ),
    "Rules": "Regler",
    "A text is saved only when it keeps the same placeholders, uses GSM-7 characters only (æ, "
    "ø and å are fine; curly quotes and long dashes are not), has no web address, fits one SMS "
    "with typical names, dates and places, names no prison, probation, treatment or offence, "
    "and asks at most one question, at the end.": (
        "En tekst gemmes kun, når den har de samme pladsholdere, kun bruger GSM-7-tegn (æ, ø og "
        "å er fine; krumme anførselstegn og lange tankestreger er ikke), ingen webadresse har, "
        "kan være i én SMS med typiske navne, datoer og steder, ikke nævner fængsel, "
        "kriminalforsorg, behandling eller lovovertrædelse, og højst stiller ét spørgsmål, til "
        "sidst."
    ),
    "Changed": "Ændret",
    "by": "af",
    "Preview": "Vis eksempel",
    "Preview with sample values": "Eksempel med typiske værdier",
    "characters": "tegn",
    "Reset to default": "Tilbage til standardteksten",
    "Changes": "Ændringer",
    "New text": "Ny tekst",
    "back to the default": "tilbage til standardteksten",
    "No changes yet.": "Ingen ændringer endnu.",
    "The new text is saved.": "Den nye tekst er gemt.",
    "The text is back to the default.": "Teksten er tilbage til standardteksten.",
    "Not empty": "Ikke tom",
    "Same placeholders": "Samme pladsholdere",
    "GSM-7 only": "Kun GSM-7",
    "No links": "Ingen links",
    "Fits the SMS": "Kan være i SMS'en",
    "No sensitive words": "Ingen følsomme ord",
    "One question, at the end": "Ét spørgsmål, til sidst",
    "The text is empty.": "Teksten er tom.",
    "Only GSM-7 characters can go in an SMS; replace {characters} (curly quotes, long dashes, "
    "special spaces and emoji are not GSM-7; æ, ø and å are).": (
        "Kun GSM-7-tegn kan sendes i en SMS; erstat {characters} (krumme anførselstegn, lange "
        "tankestreger, særlige mellemrum og emoji er ikke GSM-7; æ, ø og å er)."
    ),
    "No web addresses: Danish operators filter SMS with links ({found}).": (
        "Ingen webadresser: danske teleselskaber frasorterer SMS med links ({found})."
    ),
    "Too long: {length} characters with typical names, dates and places, the most is {limit}.": (
        "For lang: {length} tegn med typiske navne, datoer og steder; højst {limit}."
    ),
    "Words that tell whoever sees the lock screen where the person has been: {words}.": (
        "Ord, der fortæller den, der ser låseskærmen, hvor personen har været: {words}."
    ),
    "A curly bracket that is not part of a placeholder: write placeholders as {example}.": (
        "En krøllet parentes, der ikke er en del af en pladsholder: skriv pladsholdere som "
        "{example}."
    ),
    "Write placeholders plainly, as {example}, without ! or : after the name.": (
        "Skriv pladsholdere enkelt, som {example}, uden ! eller : efter navnet."
    ),
    "Placeholders missing: {fields}. The text must keep every placeholder of the original.": (
        "Pladsholdere mangler: {fields}. Teksten skal beholde alle originalens pladsholdere."
    ),
    "Placeholders the original does not have: {fields}. Only these can be filled in: {allowed}.": (
        "Pladsholdere, som originalen ikke har: {fields}. Kun disse kan udfyldes: {allowed}."
    ),
    "One question at a time: use one ? at most.": "Ét spørgsmål ad gangen: højst ét ?.",
    "This message asks a question: end it with the question mark (the SMS adds the reply hint "
    "after it).": (
        "Denne besked stiller et spørgsmål: slut med spørgsmålstegnet (SMS'en tilføjer "
        "svarvejledningen efter det)."
    ),
    "This message is not a question the bot can take an answer to: do not end it with ?.": (
        "Denne besked er ikke et spørgsmål, botten kan tage imod svar på: slut den ikke med ?."
    ),
    "The programme's default plan": "Programmets standardplan",
    "Set by an admin": "Sat af en administrator",
    "The built-in plan.": "Den indbyggede plan.",
    "Days count from the release date (day 0); check-ins go at 10:00 local time or the "
    "participant's preferred hour.": (
        "Dage tælles fra løsladelsesdatoen (dag 0); check-ins sendes kl. 10.00 lokal tid eller "
        "på deltagerens foretrukne tidspunkt."
    ),
    "The plan was not saved:": "Planen blev ikke gemt:",
    "New default plan": "Ny standardplan",
    "Phases separated by commas: FROM..TO and daily, weekly, twice-weekly or every N days. The "
    "built-in plan:": (
        "Faser adskilt af kommaer: FRA..TIL og daily, weekly, twice-weekly eller every N (dage). "
        "Den indbyggede plan:"
    ),
    "What has not been sent is planned again from the new plan; what was sent stays in the "
    "log. The same change can be made with brobygger plan set.": (
        "Det, der ikke er sendt, planlægges igen efter den nye plan; det sendte bliver i loggen. "
        "Samme ændring kan laves med brobygger plan set."
    ),
    "Participants with their own plan settings": "Deltagere med egne planindstillinger",
    "A pause, a preferred hour or an own cadence, set with brobygger plan override.": (
        "En pause, et foretrukket tidspunkt eller en egen kadence, sat med brobygger plan override."
    ),
    "Own settings": "Egne indstillinger",
    "Everyone follows the default plan.": "Alle følger standardplanen.",
    "The default plan is saved.": "Standardplanen er gemt.",
    "These settings come from the environment of the service (variables starting with "
    "BROBYGGER_, or the .env file beside it). They cannot be changed here, on purpose: a change "
    "to them is a deployment change, made and reviewed where the service is configured, and "
    "takes effect when the service is restarted. Secrets are never shown.": (
        "Disse indstillinger kommer fra tjenestens miljø (variabler, der begynder med "
        "BROBYGGER_, eller .env-filen ved siden af). De kan med vilje ikke ændres her: en "
        "ændring er en ændring af driften, som laves og gennemgås der, hvor tjenesten er sat "
        "op, og som virker, når tjenesten genstartes. Hemmeligheder vises aldrig."
    ),
    "Setting": "Indstilling",
    "Value": "Værdi",
    "What it means": "Hvad den betyder",
    # Privacy (admins): access history, export per citizen, erasure
    "Access history": "Adgangshistorik",
    "Who viewed, exported, created, changed or erased this participant's data, and why. "
    "Newest first.": (
        "Hvem der har set, eksporteret, oprettet, ændret eller slettet deltagerens data, og "
        "hvorfor. Nyeste først."
    ),
    "Who": "Hvem",
    "Action": "Handling",
    "Purpose": "Formål",
    "the system": "systemet",
    "No access recorded.": "Ingen adgang registreret.",
    "viewed": "set",
    "exported": "eksporteret",
    "created": "oprettet",
    "changed": "ændret",
    "erased": "slettet",
    "Export (right of access)": "Eksportér (indsigt)",
    "Export as a readable summary": "Eksportér som læsbart resumé",
    "Erase (anonymise)": "Slet (anonymisér)",
    "This removes the participant's name, phone numbers and chat ids, message texts, meeting "
    "places and notes for good. Anonymous counts for the statistics are kept. It cannot be "
    "undone.": (
        "Dette fjerner deltagerens navn, telefonnumre og chat-id'er, beskedtekster, mødesteder "
        "og noter for altid. Anonyme tal til statistikken bevares. Det kan ikke fortrydes."
    ),
    "Type the participant's number to confirm": "Skriv deltagerens nummer for at bekræfte",
    "Type the participant's number to confirm. Nothing was erased.": (
        "Skriv deltagerens nummer for at bekræfte. Intet blev slettet."
    ),
    "Back to the participant": "Tilbage til deltageren",
    "The participant was erased (anonymised).": "Deltageren er slettet (anonymiseret).",
    "deleted": "slettet",
    # Staff accounts (admins)
    "New staff account": "Ny medarbejder",
    "Edit staff account": "Ret medarbejder",
    "Role": "Rolle",
    "Active participants": "Aktive deltagere",
    "Last sign-in": "Sidst logget ind",
    "disabled": "deaktiveret",
    "never": "aldrig",
    "New password": "Ny adgangskode",
    "Disable": "Deaktivér",
    "Enable": "Aktivér",
    "Disabling an account ends its sessions and API tokens at once. The first admin is created "
    "with brobygger staff add.": (
        "Når en konto deaktiveres, slutter dens sessioner og API-nøgler med det samme. Den første "
        "administrator oprettes med brobygger staff add."
    ),
    "Sites the consultant covers": "Steder konsulenten dækker",
    "No sites yet.": "Ingen steder endnu.",
    "Mobile number for alerts": "Mobilnummer til alarmer",
    "Telegram chat id for alerts": "Telegram-chat-id til alarmer",
    "Leave the password empty to generate one; it is shown once.": (
        "Lad adgangskoden stå tom for at få dannet en; den vises én gang."
    ),
    "Repeat password": "Gentag adgangskoden",
    "Back to the staff list": "Tilbage til medarbejderlisten",
    "Setting a new password ends every session of this account.": (
        "En ny adgangskode afslutter alle kontoens sessioner."
    ),
    "Set the new password": "Sæt den nye adgangskode",
    "The password for": "Adgangskoden til",
    "It is shown only this once. Hand it over in person or by a channel you trust.": (
        "Den vises kun denne ene gang. Giv den videre personligt eller ad en kanal, du stoler på."
    ),
    "The account was created.": "Kontoen er oprettet.",
    "The account was changed.": "Kontoen er ændret.",
    "The account was disabled; its sessions and API tokens have ended.": (
        "Kontoen er deaktiveret; dens sessioner og API-nøgler er afsluttet."
    ),
    "The account can sign in again.": "Kontoen kan logge ind igen.",
    "The new password is set; the account's sessions have ended.": (
        "Den nye adgangskode er sat; kontoens sessioner er afsluttet."
    ),
    "not an e-mail address": "ikke en e-mailadresse",
    "a Telegram chat id is a number": "et Telegram-chat-id er et tal",
    "no such site": "stedet findes ikke",
    "only consultants cover sites": "kun konsulenter dækker steder",
    "the password must be at least 10 characters": "adgangskoden skal være mindst 10 tegn",
    "the passwords differ": "adgangskoderne er forskellige",
    "you cannot change your own role; ask another admin": (
        "du kan ikke ændre din egen rolle; spørg en anden administrator"
    ),
    "active participants still have them; reassign them first": (
        "aktive deltagere har dem stadig; giv deltagerne en anden først"
    ),
    "another staff account has this e-mail": "en anden medarbejder har denne e-mail",
    "another staff account has this contact": "en anden medarbejder har denne kontakt",
    "a participant has this contact": "en deltager har denne kontakt",
    "You cannot disable your own account.": "Du kan ikke deaktivere din egen konto.",
    "This is the last active admin. Make another admin first.": (
        "Dette er den sidste aktive administrator. Gør en anden til administrator først."
    ),
    # Sites (admins)
    "New site": "Nyt sted",
    "Edit site": "Ret sted",
    "Municipality": "Kommune",
    "Municipality (jobcentres)": "Kommune (jobcentre)",
    "Delete": "Slet",
    "Back to the sites": "Tilbage til stederne",
    "A site that participants or consultants use cannot be deleted.": (
        "Et sted, som deltagere eller konsulenter bruger, kan ikke slettes."
    ),
    "The site is still in use (participants: {participants}, staff members: {staff}). Move "
    "them to another site first; nothing was deleted.": (
        "Stedet er stadig i brug (deltagere: {participants}, medarbejdere: {staff}). Flyt dem "
        "til et andet sted først; intet blev slettet."
    ),
    "The site was created.": "Stedet er oprettet.",
    "The site was changed.": "Stedet er ændret.",
    "The site was deleted.": "Stedet er slettet.",
    "only a jobcentre has a municipality": "kun et jobcenter har en kommune",
    "a site of this kind has this name already": "et sted af denne type har allerede dette navn",
    "the kind of a site cannot change": "et steds type kan ikke ændres",
    # What each message and placeholder is for; what each deployment setting means.
    **text_purposes.DANISH,
    **deployment_settings.DANISH,
}
