"""Message texts (admins): every message in Danish and English, an admin's own wording of one,
a preview with sample values, and "reset to default" (``bot.services.text_overrides``).

No JavaScript: "Preview" posts the form and the page comes back with the text as an SMS would
carry it, filled with typical values, with its length and every rule it breaks. "Save" checks
the same rules and stores nothing when one is broken (422). Both forms carry the CSRF token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bot.i18n import SUPPORTED_LANGUAGES
from bot.models import Staff
from bot.services.text_overrides import (
    MessageText,
    TextRejected,
    UnknownText,
    load_overrides,
    message_texts,
    normalise,
    reset_override,
    save_override,
    template_of,
    text_history,
)
from bot.text_rules import (
    RULE_NAMES,
    Problem,
    Rule,
    as_sent,
    check,
    length_limit,
    placeholders,
    septets,
)
from bot.web.access import Action, PageViewer, Viewer, checked_form, runtime_of
from bot.web.templating import pages_of
from bot.web.text_purposes import PLACEHOLDERS, PURPOSES
from bot.web.ui_text import translator, ui_language

router = APIRouter(include_in_schema=False)
LANGUAGE_NAMES = {"da": "Dansk", "en": "English"}


@dataclass
class Draft:
    """One language's form on the edit page: the text in the box, and how it would go out."""

    language: str
    text: str
    problems: list[str] = field(default_factory=list)
    preview: str | None = None
    length: int = 0
    limit: int = 0


def _explain(problem: Problem, language: str) -> str:
    _ = translator(language)
    return f"{_(RULE_NAMES[problem.rule])}: {_(problem.message).format(**problem.details)}"


def _draft(request: Request, viewer: Viewer, template: str, language: str, text: str) -> Draft:
    catalogs = runtime_of(request).catalogs
    problems = check(catalogs, language, template, text)
    draft = Draft(language, text, [_explain(p, ui_language(viewer.language)) for p in problems])
    if not any(p.rule in (Rule.EMPTY, Rule.PLACEHOLDERS) for p in problems):
        draft.preview = as_sent(catalogs, language, template, normalise(text))
        draft.length, draft.limit = septets(draft.preview), length_limit(template)
    return draft


def _message(name: str, texts: list[MessageText]) -> MessageText:
    found = next((text for text in texts if text.name == name), None)
    if found is None:
        raise HTTPException(status_code=404, detail="no such message")
    return found


@router.get("/texts")
async def text_list(request: Request, viewer: PageViewer) -> Response:
    viewer.require(Action.CONFIGURE)
    runtime = runtime_of(request)
    async with runtime.database.read() as db:
        texts = await message_texts(db, runtime.catalogs)
    return pages_of(request).render(
        request,
        "texts.html",
        viewer=viewer,
        texts=texts,
        purposes=PURPOSES,
        languages=SUPPORTED_LANGUAGES,
        language_names=LANGUAGE_NAMES,
    )


async def _edit_page(
    request: Request,
    viewer: Viewer,
    name: str,
    *,
    edited: Draft | None = None,
    notice: str | None = None,
    status_code: int = 200,
) -> Response:
    runtime = runtime_of(request)
    async with runtime.database.read() as db:
        message = _message(name, await message_texts(db, runtime.catalogs))
        history = await text_history(db, name)
        staff = {s.id: s.name for s in await db.scalars(select(Staff))}
    drafts = {
        language: edited
        if edited is not None and edited.language == language
        else _draft(request, viewer, message.template, language, wording.current)
        for language, wording in message.wordings.items()
    }
    return pages_of(request).render(
        request,
        "text_edit.html",
        viewer=viewer,
        message=message,
        purpose=PURPOSES[name],
        fields={f: PLACEHOLDERS[f] for f in sorted(placeholders(message.template))},
        drafts=drafts,
        language_names=LANGUAGE_NAMES,
        history=history,
        staff=staff,
        notice=notice,
        status_code=status_code,
    )


_NOTICES = {"saved": "The new text is saved.", "reset": "The text is back to the default."}


@router.get("/texts/{name}")
async def text_page(
    request: Request, name: str, viewer: PageViewer, done: str | None = None
) -> Response:
    viewer.require(Action.CONFIGURE)
    return await _edit_page(request, viewer, name, notice=_NOTICES.get(done or ""))


def _checked(name: str, language: str) -> str:
    try:
        return template_of(name, language)
    except UnknownText:
        raise HTTPException(status_code=404, detail="no such message") from None


@router.post("/texts/{name}/{language}")
async def save_text(request: Request, name: str, language: str, viewer: PageViewer) -> Response:
    """Preview (``action=preview``) or save the admin's text for one language."""
    form = await checked_form(request)
    viewer.require(Action.CONFIGURE)
    template = _checked(name, language)
    text = str(form.get("text", ""))
    if form.get("action") != "save":
        return await _edit_page(
            request, viewer, name, edited=_draft(request, viewer, template, language, text)
        )
    runtime = runtime_of(request)
    try:
        await _store(request, viewer, name, language, text)
    except TextRejected:
        return await _edit_page(
            request,
            viewer,
            name,
            edited=_draft(request, viewer, template, language, text),
            status_code=422,
        )
    await load_overrides(runtime.database, runtime.catalogs)  # this process: at once
    return RedirectResponse(f"/texts/{name}?done=saved#{language}", status_code=303)


async def _store(request: Request, viewer: Viewer, name: str, language: str, text: str) -> None:
    runtime = runtime_of(request)
    # Two admins saving the first override of one text at once: the loser's insert breaks the
    # unique key; its second try finds the winner's row and updates it.
    for attempt in range(2):
        try:
            async with runtime.database.session() as db:
                await save_override(
                    db,
                    runtime.catalogs,
                    name=name,
                    language=language,
                    text=text,
                    staff_id=viewer.id,
                    now=runtime.clock.now(),
                )
            return
        except IntegrityError:
            if attempt:
                raise


@router.post("/texts/{name}/{language}/reset")
async def reset_text(request: Request, name: str, language: str, viewer: PageViewer) -> Response:
    await checked_form(request)
    viewer.require(Action.CONFIGURE)
    _checked(name, language)
    runtime = runtime_of(request)
    async with runtime.database.session() as db:
        await reset_override(
            db, name=name, language=language, staff_id=viewer.id, now=runtime.clock.now()
        )
    await load_overrides(runtime.database, runtime.catalogs)
    return RedirectResponse(f"/texts/{name}?done=reset#{language}", status_code=303)
