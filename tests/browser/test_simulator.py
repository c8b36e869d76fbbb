"""The whole loop in a real browser, on the phone simulator: enrol, consent, meeting, reply.

A consultant enrols a participant on the simulated phone; the consent question arrives on the
phone; they reply JA as the citizen; a meeting is added; its confirmation request arrives; they
reply JA; the timeline shows the reply with its meaning and the meeting as confirmed.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from playwright.async_api import Locator, Page, expect

from bot.models import Role, SiteKind
from tests.browser.conftest import Site, screenshot_path
from tests.browser.test_dashboard import sign_in

pytestmark = pytest.mark.browser


async def until_shown(page: Page, locator: Locator) -> None:
    """Reload until ``locator`` is there: the dispatcher sends in the background. A bound, not
    a wait: it usually takes a second, but with two test workers, Chromium and a database build
    sharing two cores, 20 s once ran out (at most 60 s)."""
    async with asyncio.timeout(60):
        while not await locator.count():
            await asyncio.sleep(0.3)
            await page.reload()


async def reply_as_citizen(page: Page, text: str) -> None:
    phone = page.locator("#phone")
    await phone.get_by_label("Svar som deltageren").fill(text)
    await phone.get_by_role("button", name="Send svar").click()


async def test_reply_as_the_citizen_confirms_the_meeting(page: Page, site: Site) -> None:
    prison = await site.desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    consultant = await site.desk.staff(Role.CONSULTANT, "Karin Konsulent", [prison])
    await site.desk.staff(Role.MENTOR, "Mads Mentor")
    await sign_in(page, site, consultant.email)

    await page.goto(site.url + "/participants/new")
    await page.get_by_label("Navn").fill("Ole Olsen")
    await page.get_by_label("Kanal").select_option("simulator")
    await page.get_by_label("Mentor").select_option(label="Mads Mentor")
    await page.get_by_label("Fængsel").select_option(label="Statsfængslet Nord")
    await page.get_by_role("button", name="Gem").click()
    await expect(page.get_by_role("heading", name="Ole Olsen")).to_be_visible()

    phone = page.locator("#phone")
    await until_shown(page, phone.locator(".bubble.out", has_text="Ole"))  # the consent question
    await reply_as_citizen(page, "JA")
    await expect(phone.locator(".bubble.in", has_text="JA")).to_be_visible()

    tomorrow = (site.desk.clock.now() + timedelta(days=2)).astimezone(
        site.desk.app.state.runtime.settings.tz
    )
    form = page.locator("#new-meeting")
    await form.get_by_label("Type").select_option("jobcentre")
    await form.get_by_label("Dato").fill(tomorrow.date().isoformat())
    await form.get_by_label("Klokken").fill("10:00")
    await form.get_by_label("Sted (borgeren ser det)").fill("Jobcentret, Søndergade 3")
    await form.get_by_role("button", name="Tilføj møde").click()
    meeting = page.locator("#meetings tr.meeting")
    await expect(meeting.locator(".confirmation")).to_have_text("afventer svar")

    await until_shown(page, phone.locator(".bubble.out", has_text="Søndergade 3"))
    await reply_as_citizen(page, "ja")
    await expect(meeting.locator(".confirmation")).to_have_text("bekræftet")
    reply = page.locator("#timeline .entry-message_in").first
    await expect(reply.locator(".body")).to_have_text("ja")
    await expect(reply.locator(".intent")).to_have_text("ja")
    await page.screenshot(path=screenshot_path("simulator-timeline"), full_page=True)
