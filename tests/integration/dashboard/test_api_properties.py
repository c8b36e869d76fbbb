"""A property-based run against /api/openapi.json: whatever is sent, the API never answers 5xx.

Hypothesis draws an operation from the published schema, fills its path, query and body from
the declared types, with plenty of wrong values mixed in (negative and huge ids, control
characters, wrong types, missing fields), and sends it with a token of a random role, or none.
Runs on SQLite and PostgreSQL, which fail on different things (integer overflow, NUL bytes).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration.dashboard.desk import Desk
from tests.integration.dashboard.world import World, build_world

ROLES = ("admin", "consultant", "outsider", "mentor", "other_mentor")

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.text(max_size=40),
    st.dates().map(date.isoformat),
    st.lists(st.integers(), max_size=2),
)


def _resolve(schema: dict[str, Any], spec: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if ref:
        resolved: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[1]]
        return resolved
    return schema


def value_for(
    schema: dict[str, Any], spec: dict[str, Any], ids: list[int]
) -> st.SearchStrategy[Any]:
    """Values the schema allows, and wrong ones, about half and half."""
    schema = _resolve(schema, spec)
    options: list[st.SearchStrategy[Any]] = [anything]
    for variant in schema.get("anyOf", []):
        options.append(value_for(variant, spec, ids))
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    kind = schema.get("type")
    if kind == "integer":
        options += [st.sampled_from(ids), st.integers(min_value=-5, max_value=2**31 + 5)]
    elif kind == "string" and schema.get("format") == "date":
        options.append(st.dates().map(date.isoformat))
    elif kind == "string":
        options += [st.text(max_size=schema.get("maxLength", 50) + 5), st.just("20304050")]
    return st.one_of(*options)


def operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method.upper(), path, operation)
        for path, methods in spec["paths"].items()
        for method, operation in methods.items()
    ]


@st.composite
def requests(draw: st.DrawFn, spec: dict[str, Any], ids: list[int]) -> dict[str, Any]:
    method, path, operation = draw(st.sampled_from(operations(spec)))
    query: dict[str, str] = {}
    for parameter in operation.get("parameters", []):
        value = draw(value_for(parameter.get("schema", {}), spec, ids))
        if parameter["in"] == "path":
            path = path.replace("{" + parameter["name"] + "}", quote(str(value), safe=""))
        elif parameter["in"] == "query" and value is not None and draw(st.booleans()):
            query[parameter["name"]] = str(value)
    body: Any = None
    content = operation.get("requestBody", {}).get("content", {}).get("application/json")
    if content:
        schema = _resolve(content["schema"], spec)
        properties = schema.get("properties", {})
        body = draw(
            st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={name: value_for(p, spec, ids) for name, p in properties.items()},
                ),
                anything,
            )
        )
    role = draw(st.sampled_from((*ROLES, None)))
    return {"method": method, "path": path, "query": query, "body": body, "role": role}


class Explorer:
    """The world and tokens, built once per test and shared by every generated example."""

    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.world: World | None = None
        self.tokens: dict[str, str] = {}
        self.spec: dict[str, Any] = {}

    async def ready(self) -> tuple[World, dict[str, Any]]:
        if self.world is None:
            self.world = await build_world(self.desk)
            self.tokens = {role: await self.desk.token(self.world.by_role(role)) for role in ROLES}
            async with self.desk.client() as client:
                self.spec = (await client.get("/api/openapi.json")).json()
        return self.world, self.spec


@pytest.fixture
def explorer(desk: Desk) -> Explorer:
    return Explorer(desk)


@settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_no_request_makes_the_api_fail_with_5xx(
    explorer: Explorer, data: st.DataObject
) -> None:
    world, spec = await explorer.ready()
    ids = [world.mentee.id, world.alert.id, world.mentor.id, world.mentee.prison_id or 1]
    request = data.draw(requests(spec, ids))
    headers = (
        {"Authorization": f"Bearer {explorer.tokens[request['role']]}"} if request["role"] else {}
    )
    async with explorer.desk.client() as client:
        response = await client.request(
            request["method"],
            request["path"],
            params=request["query"],
            json=request["body"],
            headers=headers,
        )
    assert response.status_code < 500, (request, response.text)
