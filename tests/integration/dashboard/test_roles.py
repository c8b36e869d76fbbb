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

# method, path template, form/json body, {role: expected status}
PAGES: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("GET", "/", None, dict.fromkeys(ROLES, 200)),
    ("GET", "/participants", None, dict.fromkeys(ROLES, 200)),
    (
        "GET",
        "/participants/new",
        None,
        {"admin": 200, "consultant": 200, "outsider": 200, "mentor": 403, "other_mentor": 403},
    ),
    (
        "GET",
        "/participants/{p}",
        None,
        {"admin": 200, "consultant": 200, "outsider": 404, "mentor": 200, "other_mentor": 404},
    ),
    (
        "GET",
        "/participants/{p}/edit",
        None,
        {"admin": 200, "consultant": 200, "outsider": 404, "mentor": 403, "other_mentor": 404},
    ),
    (
        "POST",
        "/participants/{p}/edit",
        {
            "name": "Ole Olsen",
            "channel": "simulator",
            "prison_id": "{prison}",
            "mentor_id": "{mentor}",
            "release_date": "2026-03-01",
        },
        {"admin": 303, "consultant": 303, "outsider": 404, "mentor": 403, "other_mentor": 404},
    ),
    (
        "POST",
        "/participants/{p}/close",
        {"outcome": "job"},
        {"admin": 303, "consultant": 303, "outsider": 404, "mentor": 403, "other_mentor": 404},
    ),
    (
        "POST",
        "/alerts/{a}/acknowledge",
        {"next": "/"},
        {"admin": 303, "consultant": 303, "outsider": 404, "mentor": 303, "other_mentor": 404},
    ),
]


def _path(template: str, world: World) -> str:
    return template.format(
        p=world.mentee.id,
        a=world.alert.id,
        prison=world.mentee.prison_id,
        mentor=world.mentor.id,
    )


def _body(body: dict[str, Any] | None, world: World) -> dict[str, Any] | None:
    return None if body is None else {k: _path(str(v), world) for k, v in body.items()}


@pytest.mark.parametrize(("method", "template", "body", "expected"), PAGES)
async def test_pages_by_role(
    desk: Desk, method: str, template: str, body: dict[str, Any] | None, expected: dict[str, int]
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
    assert got == expected


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


async def test_overview_alerts_respect_the_scope(desk: Desk) -> None:
    world = await build_world(desk)
    for role, visible in (("mentor", True), ("other_mentor", False), ("outsider", False)):
        async with desk.signed_in(world.by_role(role)) as client:
            page = await client.get("/")
        assert (f"/alerts/{world.alert.id}/acknowledge" in page.text) is visible, role


API: list[tuple[str, str, dict[str, Any] | None, dict[str, int]]] = [
    ("GET", "/api/me", None, dict.fromkeys(ROLES, 200)),
    ("GET", "/api/participants", None, dict.fromkeys(ROLES, 200)),
    (
        "POST",
        "/api/participants",
        {"name": "Per Persen", "channel": "simulator", "mentor_id": "{mentor}"},
        {"admin": 201, "consultant": 201, "outsider": 201, "mentor": 403, "other_mentor": 403},
    ),
    (
        "GET",
        "/api/participants/{p}",
        None,
        {"admin": 200, "consultant": 200, "outsider": 404, "mentor": 200, "other_mentor": 404},
    ),
    (
        "PUT",
        "/api/participants/{p}",
        {
            "name": "Ole Olsen",
            "channel": "simulator",
            "prison_id": "{prison}",
            "mentor_id": "{mentor}",
        },
        {"admin": 200, "consultant": 200, "outsider": 404, "mentor": 403, "other_mentor": 404},
    ),
    (
        "GET",
        "/api/participants/{p}/timeline",
        None,
        {"admin": 200, "consultant": 200, "outsider": 404, "mentor": 200, "other_mentor": 404},
    ),
    (
        "POST",
        "/api/participants/{p}/messages",
        {"body": "Hej"},
        {"admin": 201, "consultant": 201, "outsider": 404, "mentor": 201, "other_mentor": 404},
    ),
    (
        "POST",
        "/api/participants/{p}/outcome",
        {"outcome": "job"},
        {"admin": 200, "consultant": 200, "outsider": 404, "mentor": 403, "other_mentor": 404},
    ),
    ("GET", "/api/alerts", None, dict.fromkeys(ROLES, 200)),
    (
        "POST",
        "/api/alerts/{a}/acknowledge",
        None,
        {"admin": 200, "consultant": 200, "outsider": 404, "mentor": 200, "other_mentor": 404},
    ),
]


def _json(body: dict[str, Any] | None, world: World) -> dict[str, Any] | None:
    if body is None:
        return None
    filled = _body(body, world) or {}
    return {k: int(v) if k.endswith("_id") else v for k, v in filled.items()}


@pytest.mark.parametrize(("method", "template", "body", "expected"), API)
async def test_api_by_role(
    desk: Desk, method: str, template: str, body: dict[str, Any] | None, expected: dict[str, int]
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
    assert got == expected


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
