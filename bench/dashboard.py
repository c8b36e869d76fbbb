"""Dashboard benchmark: time to first byte of the staff pages (``python -m bench.dashboard``).

For each engine and size:

1. a private copy of the generated programme (``bench.programme``) and a real ``brobygger run``
   on it (``bench.service``);
2. a client in a separate process signs in through the sign-in form the way a browser does
   (GET /login, POST with the CSRF token) as the admin, a consultant (about a tenth of the
   programme) and a mentor (about 25 mentees), and keeps each session;
3. for every page and role that may see it: 3 warm-up requests, then ``--repetitions``
   requests one after another; time to first byte (the response's status line and headers) and
   total time (the whole body read);
4. median and p99 per page and role, through ``bench.results`` (JSON and a table).

Pages: the overview; the busy participant's timeline; the statistics page for the default period
(this year so far) and for the last whole year; the participants list (first page, a search by
name and one by phone number); the statistics table as CSV and the busy participant's timeline
as CSV; the inbox. A page a role may not see (403) or a participant outside its scope (404) is
not measured for that role (the run says so).
"""

from __future__ import annotations

import argparse
import asyncio
import html
import re
import statistics
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing import get_context
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import update

from bench.programme import ENGINES, SIZES, Programme, drop_copy, programme_copy
from bench.results import Row, percentile, write_results
from bench.service import start_service
from bot.db import Database
from bot.models import EscalationStep, Message
from bot.schema import upgrade

BENCHMARK = "dashboard"
WARM_UP = 3
REPETITIONS = 30
CPH = ZoneInfo("Europe/Copenhagen")
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_FIRST_LISTED = re.compile(r'<a href="/participants/\d+">([^<]+)</a>')


@dataclass(frozen=True)
class Page:
    """One page to measure: what the table calls it, its path, and the target if it has one."""

    what: str
    path: str
    target_ms: float | None = None


@dataclass(frozen=True)
class Timing:
    """What the client measured for one page and role (milliseconds)."""

    what: str
    role: str
    status: int
    first_byte: list[float]
    total: list[float]
    size: int
    failures: list[int]  # the status of each measured request that did not answer 200


def pages(programme: Programme, today: date, name_search: str) -> list[Page]:
    busy = programme.busy_participant_id
    year_ago = today - timedelta(days=364)
    return [
        Page("overview", "/", 100),
        Page("timeline, busy participant", f"/participants/{busy}", 100),
        Page("statistics, this year so far", "/statistics", 1000),
        Page("statistics, last 365 days", f"/statistics?start={year_ago}&end={today}", 1000),
        Page("participants, first page", "/participants"),
        Page("participants, search by name", "/participants?" + urlencode({"q": name_search})),
        Page(
            "participants, search by number",
            "/participants?" + urlencode({"q": programme.sms_number(0)}),
        ),
        Page("statistics table CSV", "/statistics.csv", 1000),
        Page("timeline CSV, busy participant", f"/participants/{busy}/export.csv"),
        Page("inbox", "/inbox"),
    ]


# --- The client (runs in its own process) ----------------------------------------------------


def sign_in(client: httpx.Client, email: str, password: str) -> None:
    """Sign in as a browser does: the form's CSRF token goes back with the credentials."""
    form = client.get("/login")
    token = _CSRF.search(form.text)
    if token is None:
        raise RuntimeError("the sign-in form has no CSRF token")
    answer = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token.group(1)}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"signing in as {email} answered {answer.status_code}")


def timed_get(client: httpx.Client, path: str) -> tuple[int, float, float, int]:
    """Status, time to first byte and total time (ms), and the body's size.

    A connection the service drops counts as status 0 (a failed request), not as a crash.
    """
    started = time.perf_counter()
    try:
        with client.stream("GET", path) as response:
            first_byte = time.perf_counter()
            body = response.read()
    except httpx.TransportError:
        failed = (time.perf_counter() - started) * 1000
        return 0, failed, failed, 0
    finished = time.perf_counter()
    return (
        response.status_code,
        (first_byte - started) * 1000,
        (finished - started) * 1000,
        len(body),
    )


def name_to_search(client: httpx.Client) -> str:
    """A search term as staff type it: the first word of the first name on the list."""
    listed = _FIRST_LISTED.search(client.get("/participants").text)
    words = html.unescape(listed.group(1)).split() if listed else []
    return words[0] if words else "a"


def measure(
    base_url: str,
    logins: dict[str, str],
    password: str,
    page_list: Sequence[Page],
    repetitions: int,
) -> list[Timing]:
    """Sign in as each role and time every page it may see; runs in the client process.

    A page that answers 403 or 404 after the warm-up is not for this role. Requests that fail
    during the measured repetitions (a 500, a dropped connection) are kept with their status,
    so the row can say how many failed rather than the run stopping.
    """
    timings: list[Timing] = []
    for role, email in logins.items():
        with httpx.Client(base_url=base_url, timeout=120, follow_redirects=False) as client:
            sign_in(client, email, password)
            for page in page_list:
                status = 0
                for _ in range(WARM_UP):
                    status, _, _, _ = timed_get(client, page.path)
                if status in (403, 404):  # not allowed, or out of scope, for this role
                    timings.append(Timing(page.what, role, status, [], [], 0, []))
                    continue
                runs = [timed_get(client, page.path) for _ in range(repetitions)]
                timings.append(
                    Timing(
                        page.what,
                        role,
                        200,
                        [run[1] for run in runs],
                        [run[2] for run in runs],
                        max(run[3] for run in runs),
                        [run[0] for run in runs if run[0] != 200],
                    )
                )
    return timings


def settle(base_url: str, email: str, password: str, path: str, limit: float = 900.0) -> float:
    """Wait until an audited page (it writes) answers promptly twice; returns the seconds.

    A service started on a generated programme first catches up with what fell due while it was
    down (the escalation tick takes every overdue question in one unit of work). On SQLite that
    unit holds the write lock, and a page that records an audit event waits for it (and fails
    after the 30 s busy timeout), so measuring starts once the catch-up is over.
    """
    started = time.monotonic()
    prompt = 0
    with httpx.Client(base_url=base_url, timeout=120, follow_redirects=False) as client:
        sign_in(client, email, password)
        while prompt < 2:
            if time.monotonic() - started > limit:
                raise RuntimeError(f"{path} did not answer promptly within {limit:.0f} s")
            status, first_byte, _, _ = timed_get(client, path)
            prompt = prompt + 1 if status == 200 and first_byte < 2000 else 0
            if not prompt:
                time.sleep(1)
    return time.monotonic() - started


def discover_search(base_url: str, email: str, password: str) -> str:
    with httpx.Client(base_url=base_url, timeout=120, follow_redirects=False) as client:
        sign_in(client, email, password)
        return name_to_search(client)


# --- The driver --------------------------------------------------------------------------------


def row_of(programme: Programme, page: Page, timing: Timing) -> Row:
    """One table row: time to first byte (median, p99), total time and size in ``extra``."""
    median = round(statistics.median(timing.first_byte), 1)
    target, met = "", None
    if page.target_ms is not None:
        # A page that failed at all has not met its target, however fast the rest were.
        met = median < page.target_ms and not timing.failures
        target = f"< {page.target_ms:.0f} ms median"
    extra: dict[str, object] = {
        "measure": "time to first byte",
        "total_median_ms": round(statistics.median(timing.total), 1),
        "total_p99_ms": round(percentile(timing.total, 0.99), 1),
        "bytes": timing.size,
        "requests": len(timing.first_byte),
        "failed": len(timing.failures),
        "failed_statuses": sorted(set(timing.failures)),
    }
    what = f"{page.what} ({timing.role})"
    return Row(
        BENCHMARK,
        what,
        programme.engine,
        programme.participants,
        median,
        round(percentile(timing.first_byte, 0.99), 1),
        "ms",
        target,
        met,
        extra,
    )


async def prepare(programme: Programme) -> float:
    """Bring the private copy to this checkout's schema and to a steady state; returns seconds.

    1. The cached original is shared by every checkout on the machine and may predate a
       migration here (new indexes, say), so the copy is upgraded as ``brobygger migrate`` would.
    2. The generated history holds questions answered long ago whose escalation ladder was never
       closed (280,000 at 100,000 participants). A live service closes each within a minute of
       its deadline (the escalation tick marks an answered question STOPPED); a service started
       on the copy would do all of them in its first tick, one unit of work that holds SQLite's
       write lock for many minutes, so audited pages fail with "database is locked". The copy
       gets what that tick would write, in one statement.
    """
    database = Database(programme.url)
    started = time.perf_counter()
    try:
        await upgrade(database)
        async with database.session() as session:
            await session.execute(
                update(Message)
                .where(
                    Message.expects_reply.is_(True),
                    Message.answered_by_id.is_not(None),
                    Message.deadline_at <= datetime.now(UTC),
                    Message.escalation_step.in_((EscalationStep.WAITING, EscalationStep.NUDGED)),
                )
                .values(escalation_step=EscalationStep.STOPPED)
            )
    finally:
        await database.dispose()
    return time.perf_counter() - started


async def run_one(engine: str, size: int, repetitions: int) -> list[Row]:
    programme = await programme_copy(engine, size)
    try:
        migration_seconds = await prepare(programme)
        service = start_service(programme, demo="false")
        try:
            logins = {
                "admin": programme.admin_email,
                "consultant": programme.consultant_email,
                "mentor": programme.mentor_email,
            }
            today = datetime.now(CPH).date()
            # The load comes from another process, so client and service do not share a GIL.
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as client:
                loop = asyncio.get_running_loop()
                term = await loop.run_in_executor(
                    client, discover_search, service.url, programme.admin_email, programme.password
                )
                page_list = pages(programme, today, term)
                settled = await loop.run_in_executor(
                    client,
                    settle,
                    service.url,
                    programme.admin_email,
                    programme.password,
                    f"/participants/{programme.busy_participant_id}",
                )
                timings = await loop.run_in_executor(
                    client,
                    measure,
                    service.url,
                    logins,
                    programme.password,
                    page_list,
                    repetitions,
                )
            rss = service.rss_mb()
        finally:
            await service.stop()
    finally:
        await drop_copy(programme)
    by_name = {page.what: page for page in page_list}
    rows = [row_of(programme, by_name[t.what], t) for t in timings if t.status == 200]
    for timing in timings:
        if timing.status != 200:
            print(f"({timing.what}: {timing.status} for the {timing.role}, not measured)")
        elif timing.failures:
            print(f"({timing.what} for the {timing.role}: {len(timing.failures)} failed)")
    for row in rows:
        row.extra["service_rss_mb_after"] = round(rss, 1)
        row.extra["prepare_copy_seconds"] = round(migration_seconds, 1)
        row.extra["settle_seconds"] = round(settled, 1)
    return rows


async def run(engines: Sequence[str], sizes: Sequence[int], repetitions: int) -> list[Row]:
    rows: list[Row] = []
    for engine in engines:
        for size in sizes:
            rows += await run_one(engine, size, repetitions)
    return rows


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=[*ENGINES, "both"], default="both")
    parser.add_argument(
        "--sizes",
        default=",".join(str(size) for size in SIZES),
        help="comma-separated programme sizes (participants)",
    )
    parser.add_argument("--repetitions", type=int, default=REPETITIONS)
    args = parser.parse_args(argv)
    engines = list(ENGINES) if args.engine == "both" else [args.engine]
    sizes = [int(size) for size in args.sizes.split(",")]
    rows = asyncio.run(run(engines, sizes, args.repetitions))
    write_results(BENCHMARK, rows)


if __name__ == "__main__":
    main()
