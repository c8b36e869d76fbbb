"""``python -m bench`` (``make bench``): every benchmark, then one summary table.

``--engine`` and ``--sizes`` are passed to each benchmark; ``--only NAME,...`` picks some.
Each benchmark writes ``bench/results/<name>.json``; the summary of all of them is written to
``bench/results/summary.md`` (the table the READMEs show).
"""

from __future__ import annotations

import argparse
import importlib
import json

from bench.results import RESULTS, Row, number, table

BENCHMARKS = ("dispatch", "workers", "planning", "outage", "webhook", "dashboard")


def pivot(rows: list[Row]) -> str:
    """One line per measurement, one column per engine and size: "median / p99", a missed
    target in bold. The shape of the READMEs' results table."""
    # SQLite first: the embedded default.
    columns = sorted(
        {(row.engine, row.participants) for row in rows},
        key=lambda column: (column[0] != "sqlite", column[1]),
    )
    lines: dict[tuple[str, str, str, str], dict[tuple[str, int], str]] = {}
    for row in rows:
        cell = number(row.median) + ("" if row.p99 is None else f" / {number(row.p99)}")
        if row.median is None and row.met is not None:
            cell = "yes" if row.met else "no"  # a check, not a number (e.g. "index used")
        if row.met is False:
            cell = f"**{cell}**"
        lines.setdefault((row.benchmark, row.what, row.unit, row.target), {})[
            (row.engine, row.participants)
        ] = cell
    head = " | ".join(f"{engine} {size:,}" for engine, size in columns)
    out = [
        f"| benchmark | what | unit | target | {head} |",
        "|---|---|---|---|" + "---:|" * len(columns),
    ]
    for (benchmark, what, unit, target), cells in lines.items():
        values = " | ".join(cells.get(column, "") for column in columns)
        out.append(f"| {benchmark} | {what} | {unit} | {target} | {values} |")
    return "\n".join(out)


def summary() -> str:
    """Every results file there is, in the order of ``BENCHMARKS``: the rows with a target
    (the READMEs' table), every measurement, then each row with its extras' machine."""
    rows: list[Row] = []
    machines = []
    for name in BENCHMARKS:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        document = json.loads(path.read_text())
        machines.append(f"- {name}: {document['machine']}")
        rows.extend(Row(**row) for row in document["rows"])
    targeted = [row for row in rows if row.target]
    return "\n\n".join(
        [
            "The targets (median / p99; a missed target in bold):",
            pivot(targeted),
            "Every measurement:",
            pivot(rows),
            "Every row:",
            table(rows),
            "Machine per benchmark:\n\n" + "\n".join(machines) + "\n",
        ]
    )


def main() -> None:
    """Run the benchmarks asked for; ``--summary`` only rewrites the summary from the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    parser.add_argument("--summary", action="store_true", help="only write the summary")
    args = parser.parse_args()
    for name in [] if args.summary else args.only.split(","):
        if name not in BENCHMARKS:
            parser.error(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        print(f"\n## {name}\n", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.main(["--engine", args.engine, "--sizes", args.sizes])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "summary.md").write_text(summary())
    print(f"\nSummary of every result: {RESULTS / 'summary.md'}")


main()
