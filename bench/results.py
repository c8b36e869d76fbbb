"""Benchmark results: one row per measurement, printed as a table and kept as JSON.

Every benchmark writes ``bench/results/<benchmark>.json`` (gitignored) with the machine it ran
on, so two runs can be compared: the files are plain, key-sorted JSON, made to be diffed.
"""

from __future__ import annotations

import json
import os
import platform
import sqlite3
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).parent / "results"


@dataclass
class Row:
    benchmark: str
    what: str
    engine: str
    participants: int
    median: float | None
    p99: float | None
    unit: str
    target: str = ""
    met: bool | None = None
    extra: dict[str, object] = field(default_factory=dict)


def machine() -> dict[str, object]:
    """What the numbers depend on: cores, CPU model, load at the time, library versions."""
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "load_average": [round(load, 2) for load in os.getloadavg()],
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def number(value: float | None) -> str:
    """A measurement as a table shows it: thousands separated, two digits below 10."""
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.2f}" if value < 10 else f"{value:.1f}"


def table(rows: list[Row]) -> str:
    """A Markdown table (it reads fine in a terminal and pastes into the README)."""
    lines = [
        "| benchmark | what | engine | participants | median | p99 | unit | target | met |",
        "|---|---|---|---:|---:|---:|---|---|---|",
    ]
    for row in rows:
        met = {True: "yes", False: "**no**", None: ""}[row.met]
        lines.append(
            f"| {row.benchmark} | {row.what} | {row.engine} | {row.participants:,} "
            f"| {number(row.median)} | {number(row.p99)} | {row.unit} | {row.target} | {met} |"
        )
    return "\n".join(lines)


def write_results(benchmark: str, rows: list[Row]) -> Path:
    """Write ``bench/results/<benchmark>.json`` and print the table; returns the file."""
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{benchmark}.json"
    document = {"benchmark": benchmark, "machine": machine(), "rows": [asdict(r) for r in rows]}
    path.write_text(json.dumps(document, indent=2, sort_keys=True, default=str) + "\n")
    print(table(rows))
    print(f"\n({path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path})")
    return path


def percentile(values: list[float], fraction: float) -> float:
    """The value below which ``fraction`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    if not ordered:
        raise ValueError("no values")
    rank = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[rank]
