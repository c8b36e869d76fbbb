"""Each role against each page and API endpoint: allowed, or 404 (out of scope) / 403 (role).

Rows name a request and the status each role gets. "Out of scope" is 404 so that ids cannot be
probed; an action a role may not take at all is 403 (for a participant in scope).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.integration.dashboard.desk import Desk
from tests.integration.dashboard.world import World, build_world

ROLES = ("admin", "consultant", "outsider", "mentor", "other_mentor")

# method, path template, form/json body, expected status for
# (admin, consultant, outsider, mentor, other_mentor)
Row = tuple[str, str, dict[str, Any] | None, tuple[int, int, int, int, int]]
ALL_200 = (200, 200, 200, 200, 200)
IN_SCOPE = (200, 200, 404, 200, 404)  # the mentee's own consultant and mentor, and admins
OFFICE = (200, 200, 404, 403, 404)  # ...of whom the mentor may only look
ADMIN_ONLY = (200, 403, 404, 403, 404)  # privacy actions: only admins, 404 out of scope
ADMIN_PAGE = (200, 403, 403, 403, 403)  # staff and sites: no participant, so 403 for all others
ADMIN_POST = (303, 403, 403, 403, 403)
MEETING = {"kind": "jobcentre", "date": "2026-01-20", "time": "10:00", "place": "Torvet 1"}
STAFF = {"name": "Mads Mentor", "email": "mads@brobygger.test", "role": "mentor", "language": "da"}
NEW_STAFF = {
    **STAFF,
    "email": "ny@brobygger.test",
    "password": "x" * 12,
    "password_repeat": "x" * 12,
}
EDIT = {
    "name": "Ole Olsen",
    "channel": "simulator",
    "prison_id": "{prison}",
    "mentor_id": "{mentor}",
    "release_date": "2026-03-01",
}

PAGES: list[Row] = [
    ("GET", "/", None, ALL_200),
    ("GET", "/participants", None, ALL_200),
    ("GET", "/inbox", None, ALL_200),
    ("GET", "/participants/new", None, (200, 200, 200, 403, 403)),
    ("GET", "/statistics", None, (200, 200, 200, 403, 403)),
    ("GET", "/participants/{p}", None, IN_SCOPE),
    ("GET", "/participants/{p}/edit", None, OFFICE),
    ("GET", "/participants/{p}/export.csv", None, OFFICE),
    ("GET", "/participants/{p}/report", None, OFFICE),
    ("POST", "/participants/{p}/edit", EDIT, (303, 303, 404, 403, 404)),
    ("POST", "/participants/{p}/meetings", MEETING, (303, 303, 404, 403, 404)),
    # The admin cancels first; the consultant then finds it cancelled already.
    ("POST", "/participants/{p}/meetings/{m}/cancel", {}, (303, 422, 404, 403, 404)),
    ("POST", "/participants/{p}/messages", {"body": "Hej"}, (303, 303, 404, 303, 404)),
    ("POST", "/participants/{p}/phone", {"text": "ja"}, (303, 303, 404, 303, 404)),
    ("POST", "/alerts/{a}/acknowledge", {"next": "/"}, (303, 303, 404, 303, 404)),
    ("POST", "/participants/{p}/close", {"outcome": "job"}, (303, 303, 404, 403, 404)),
    ("GET", "/participants/{p}/access-history", None, ADMIN_ONLY),
    ("GET", "/participants/{p}/subject-export.json", None, ADMIN_ONLY),
    ("GET", "/participants/{p}/subject-export.html", None, ADMIN_ONLY),
    ("GET", "/participants/{p}/erase", None, ADMIN_ONLY),
    # Without the typed confirmation the admin's erasure does nothing (422), so the row can
    # test every role against the same participant.
    ("POST", "/participants/{p}/erase", {}, (422, 403, 404, 403, 404)),
    # Staff accounts and sites: admins only.
    ("GET", "/staff", None, ADMIN_PAGE),
    ("GET", "/staff/new", None, ADMIN_PAGE),
    ("GET", "/staff/{mentor}/edit", None, ADMIN_PAGE),
    ("GET", "/staff/{mentor}/password", None, ADMIN_PAGE),
    ("POST", "/staff/new", NEW_STAFF, ADMIN_POST),
    ("POST", "/staff/{mentor}/edit", STAFF, ADMIN_POST),
    # The admin may not disable themselves (409), so every role can be tried on the same row.
    ("POST", "/staff/{admin}/disable", {}, (409, 403, 403, 403, 403)),
    ("POST", "/staff/{mentor}/enable", {}, ADMIN_POST),
    ("POST", "/staff/{admin}/password", NEW_STAFF, ADMIN_POST),
    ("GET", "/sites", None, ADMIN_PAGE),
    ("GET", "/sites/new", None, ADMIN_PAGE),
    ("GET", "/sites/{prison}/edit", None, ADMIN_PAGE),
    ("POST", "/sites/new", {"kind": "jobcentre", "name": "Jobcenter Syd"}, ADMIN_POST),
    ("POST", "/sites/{prison}/edit", {"name": "Statsfængslet Nord"}, ADMIN_POST),
    # The prison has participants: the admin's deletion is refused (409).
    ("POST", "/sites/{prison}/delete", {}, (409, 403, 403, 403, 403)),
    ("GET", "/texts", None, ADMIN_PAGE),
    ("GET", "/texts/CHECKIN_THANKS", None, ADMIN_PAGE),
    (
        "POST",
        "/texts/CHECKIN_THANKS/da",
        {"text": "Tak for svaret.", "action": "preview"},
        ADMIN_PAGE,
    ),
    ("POST", "/texts/CHECKIN_THANKS/da", {"text": "Tak for svaret.", "action": "save"}, ADMIN_POST),
    ("POST", "/texts/CHECKIN_THANKS/da/reset", {}, ADMIN_POST),
    ("GET", "/plans", None, ADMIN_PAGE),
    ("POST", "/plans/default", {"plan": "-28..0 weekly, 0..84 weekly"}, ADMIN_POST),
    ("GET", "/settings", None, ADMIN_PAGE),
]


def _path(template: str, world: World) -> str:
    return template.format(
        p=world.mentee.id,
        a=world.alert.id,
        m=world.meeting.id,
        prison=world.mentee.prison_id,
        mentor=world.mentor.id,
        admin=world.admin.id,
    )


def _body(body: dict[str, Any] | None, world: World) -> dict[str, Any] | None:
    if body is None:
        return None
    return {k: None if v is None else _path(str(v), world) for k, v in body.items()}


@pytest.mark.parametrize(("method", "template", "body", "expected"), PAGES)
async def test_pages_by_role(
    desk: Desk,
    method: str,
    template: str,
    body: dict[str, Any] | None,
    expected: tuple[int, int, int, int, int],
) -> None:
    world = await build_world(desk)
    got: dict[str, int] = {}
    for role in ROLES:
        async with desk.signed_in(world.by_role(role)) as client:
            path = _path(template, world)
            if method == "GET":
                response = await client.get(path)
            else:
                response = await desk.post_form(client, path, _body(body, world))
            got[role] = response.status_code
    assert got == dict(zip(ROLES, expected, strict=True))


async def test_the_participant_list_shows_only_the_viewers_scope(desk: Desk) -> None:
    world = await build_world(desk)
    shown: dict[str, bool] = {}
    for role in ROLES:
        async with desk.signed_in(world.by_role(role)) as client:
            page = await client.get("/participants")
        shown[role] = f"/participants/{world.mentee.id}" in page.text
    assert shown == {
        "admin": True,
        "consultant": True,
        "outsider": False,
        "mentor": True,
        "other_mentor": False,
    }


async def test_only_admins_see_the_staff_and_sites_links(desk: Desk) -> None:
    world = await build_world(desk)
    links: dict[str, tuple[bool, bool]] = {}
    for role in ROLES:
        async with desk.signed_in(world.by_role(role)) as client:
            nav = (await client.get("/participants")).text.split("<nav>")[1].split("</nav>")[0]
        links[role] = ('href="/staff"' in nav, 'href="/sites"' in nav)
    assert links == {
        "admin": (True, True),
        "consultant": (False, False),
        "outsider": (False, False),
        "mentor": (False, False),
        "other_mentor": (False, False),
    }


async def test_overview_alerts_respect_the_scope(desk: Desk) -> None:
    world = await build_world(desk)
    for role, visible in (("mentor", True), ("other_mentor", False), ("outsider", False)):
        async with desk.signed_in(world.by_role(role)) as client:
            page = await client.get("/")
        assert (f"/alerts/{world.alert.id}/acknowledge" in page.text) is visible, role


API_MEETING = {"kind": "mentor", "starts_at": "2026-01-20T10:00:00+01:00", "place": "Torvet 1"}
API: list[Row] = [
    ("GET", "/api/me", None, ALL_200),
    ("GET", "/api/participants", None, ALL_200),
    ("GET", "/api/alerts", None, ALL_200),
    (
        "POST",
        "/api/participants",
        {"name": "Per", "channel": "simulator", "mentor_id": "{mentor}"},
        (201, 201, 201, 403, 403),
    ),
    ("GET", "/api/participants/{p}", None, IN_SCOPE),
    ("GET", "/api/participants/{p}/timeline", None, IN_SCOPE),
    ("GET", "/api/participants/{p}/meetings", None, IN_SCOPE),
    ("PUT", "/api/participants/{p}", {**EDIT, "release_date": None}, OFFICE),
    ("POST", "/api/participants/{p}/meetings", API_MEETING, (201, 201, 404, 403, 404)),
    ("POST", "/api/meetings/{m}/move", {"starts_at": "2026-01-21T10:00:00+01:00"}, OFFICE),
    # Tomorrow's meeting has not started: attendance cannot be recorded yet.
    ("POST", "/api/meetings/{m}/attendance", {"attendance": "attended"}, (422, 422, 404, 403, 404)),
    ("POST", "/api/meetings/{m}/cancel", None, (200, 422, 404, 403, 404)),
    ("POST", "/api/participants/{p}/messages", {"body": "Hej"}, (201, 201, 404, 201, 404)),
    ("POST", "/api/alerts/{a}/acknowledge", None, IN_SCOPE),
    ("POST", "/api/participants/{p}/outcome", {"outcome": "job"}, OFFICE),
]


def _json(body: dict[str, Any] | None, world: World) -> dict[str, Any] | None:
    if body is None:
        return None
    filled = _body(body, world) or {}
    return {k: int(v) if k.endswith("_id") and v else v for k, v in filled.items()}


@pytest.mark.parametrize(("method", "template", "body", "expected"), API)
async def test_api_by_role(
    desk: Desk,
    method: str,
    template: str,
    body: dict[str, Any] | None,
    expected: tuple[int, int, int, int, int],
) -> None:
    world = await build_world(desk)
    got: dict[str, int] = {}
    async with desk.client() as client:
        for role in ROLES:
            token = await desk.token(world.by_role(role))
            response = await client.request(
                method,
                _path(template, world),
                json=_json(body, world),
                headers={"Authorization": f"Bearer {token}"},
            )
            got[role] = response.status_code
    assert got == dict(zip(ROLES, expected, strict=True))


async def test_api_lists_only_the_viewers_scope(desk: Desk) -> None:
    world = await build_world(desk)
    seen: dict[str, tuple[bool, bool]] = {}
    async with desk.client() as client:
        for role in ROLES:
            headers = {"Authorization": f"Bearer {await desk.token(world.by_role(role))}"}
            people = (await client.get("/api/participants", headers=headers)).json()
            alerts = (await client.get("/api/alerts", headers=headers)).json()
            seen[role] = (
                world.mentee.id in {p["id"] for p in people},
                world.alert.id in {a["id"] for a in alerts},
            )
    assert seen == {
        "admin": (True, True),
        "consultant": (True, True),
        "outsider": (False, False),
        "mentor": (True, True),
        "other_mentor": (False, False),
    }
