"""An admin creates a mentor's account in a real browser, and the mentor signs in with it."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from bot.models import Role
from tests.browser.conftest import Site, screenshot_path
from tests.browser.test_dashboard import sign_in

pytestmark = pytest.mark.browser


async def test_an_admin_creates_a_mentor_account_and_the_mentor_signs_in(
    page: Page, site: Site
) -> None:
    admin = await site.desk.staff(Role.ADMIN, "Anna Admin")
    await sign_in(page, site, admin.email)

    await page.locator("nav").get_by_role("link", name="Medarbejdere").click()
    await page.get_by_role("link", name="Ny medarbejder").click()
    await page.get_by_label("Navn").fill("Mette Lund")
    await page.get_by_label("E-mail").fill("mette@brobygger.test")
    await page.get_by_label("Rolle").select_option("mentor")
    await page.get_by_label("Mobilnummer til alarmer").fill("12")
    await page.get_by_role("button", name="Gem").click()
    await expect(page.locator("#error-phone")).to_have_text("ikke et gyldigt telefonnummer")
    await page.get_by_label("Mobilnummer til alarmer").fill("20 30 40 50")
    await page.get_by_role("button", name="Gem").click()

    shown = page.locator("#one-time-password")
    await expect(shown).to_be_visible()
    password = (await shown.inner_text()).strip()
    await page.get_by_role("link", name="Tilbage til medarbejderlisten").click()
    row = page.locator("#staff tr", has_text="mette@brobygger.test")
    await expect(row).to_contain_text("Mette Lund")
    await expect(row).to_contain_text("aldrig")  # has not signed in yet
    await expect(page.locator("#staff")).not_to_contain_text(password)
    await page.screenshot(path=screenshot_path("staff"), full_page=True)

    await page.get_by_role("button", name="Log ud").click()
    await sign_in(page, site, "mette@brobygger.test", password)
    await expect(page.locator(".who")).to_contain_text("Mette Lund (mentor)")
    await expect(page.locator("nav").get_by_role("link", name="Medarbejdere")).to_have_count(0)
