"""The consultant's day in a real browser: sign in, enrol, acknowledge, see the statistics move.

And the safety check: citizen text with markup shows as text and runs nothing.
"""

from __future__ import annotations

from datetime import date

import pytest
from playwright.async_api import Dialog, Page, expect

from bot.models import AlertReason, Role, SiteKind
from tests.browser.conftest import Site, screenshot_path
from tests.integration.dashboard.desk import PASSWORD

pytestmark = pytest.mark.browser


async def sign_in(page: Page, site: Site, email: str, password: str = PASSWORD) -> None:
    await page.goto(site.url + "/")
    await expect(page).to_have_url(site.url + "/login")
    await page.get_by_label("E-mail").fill(email)
    await page.get_by_label("Adgangskode").fill(password)
    await page.get_by_role("button", name="Log ind").click()
    await expect(page.get_by_role("heading", name="Overblik")).to_be_visible()


async def total_cell(page: Page, site: Site, column: int) -> str:
    await page.goto(site.url + "/statistics")
    row = page.locator("table.status").first.locator("tbody tr").first
    return (await row.locator("td").nth(column).inner_text()).strip()


async def test_a_consultant_enrols_acknowledges_and_sees_the_statistics_change(
    page: Page, site: Site
) -> None:
    prison = await site.desk.site(SiteKind.PRISON, "Statsfængslet Nord")
    consultant = await site.desk.staff(Role.CONSULTANT, "Karin Konsulent", [prison])
    mentor = await site.desk.staff(Role.MENTOR, "Mads Mentor")
    quiet = await site.desk.participant(
        "Pia Hansen", prison=prison, mentor=mentor, release_date=date(2026, 2, 1)
    )
    await site.desk.alert(quiet, AlertReason.NO_REPLY)

    await sign_in(page, site, consultant.email)
    await page.screenshot(path=screenshot_path("overview"), full_page=True)
    referred_before = await total_cell(page, site, 0)

    # Acknowledge the open alert on the overview.
    await page.goto(site.url + "/")
    alerts = page.locator("#alerts")
    await expect(alerts.get_by_text("Pia Hansen")).to_be_visible()
    await alerts.get_by_role("button", name="Kvittér").click()
    await expect(alerts.get_by_text("Kvitteret")).to_be_visible()

    # Create a participant.
    await page.goto(site.url + "/participants")
    await page.get_by_role("link", name="Ny deltager").click()
    await page.get_by_label("Navn").fill("Ole Olsen")
    await page.get_by_label("Kanal").select_option("sms")
    await page.get_by_label("Mobilnummer").fill("12")
    await page.get_by_role("button", name="Gem").click()
    await expect(page.locator("#error-phone")).to_have_text("ikke et gyldigt telefonnummer")
    await page.get_by_label("Mobilnummer").fill("20 30 40 50")
    await page.get_by_label("Fængsel").select_option(label="Statsfængslet Nord")
    await page.get_by_label("Mentor").select_option(label="Mads Mentor")
    await page.get_by_label("Løsladelsesdato").fill("2026-03-01")
    await page.get_by_role("button", name="Gem").click()
    await expect(page.get_by_role("heading", name="Ole Olsen")).to_be_visible()
    await expect(page.get_by_text("+4520304050")).to_be_visible()
    await page.screenshot(path=screenshot_path("timeline"), full_page=True)

    # Close them with a positive outcome; the statistics follow.
    await page.locator("#close select").select_option("job")
    await page.locator("#close").get_by_role("button", name="Afslut").click()
    await expect(page.locator("dl.facts").get_by_text("job", exact=True)).to_be_visible()
    assert int(await total_cell(page, site, 0)) == int(referred_before) + 1
    assert (await total_cell(page, site, 3)).startswith("1 (")
    await page.screenshot(path=screenshot_path("statistics"), full_page=True)


async def test_citizen_markup_shows_as_text_and_runs_nothing(page: Page, site: Site) -> None:
    consultant = await site.desk.staff(Role.CONSULTANT, "Karin Konsulent")
    participant = await site.desk.participant("Ole Olsen", consultant=consultant)
    script = "<script>alert(1)</script>"
    image = "<img src=x onerror=alert(1)>"
    await site.desk.inbound(participant, script, intent="free_text")
    await site.desk.inbound(participant, image, intent="free_text")
    dialogs: list[str] = []

    async def refuse(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        await dialog.dismiss()

    page.on("dialog", refuse)
    await sign_in(page, site, consultant.email)
    for path in (f"/participants/{participant.id}", "/inbox"):
        await page.goto(site.url + path)
        await expect(page.get_by_text(script, exact=True).first).to_be_visible()
        await expect(page.get_by_text(image, exact=True).first).to_be_visible()
        assert await page.locator("main img").count() == 0
        assert await page.locator("main script").count() == 0
    assert dialogs == []
