"""``python -m bench`` (``make bench``): every benchmark, then one summary table.

``--engine`` and ``--sizes`` are passed to each benchmark; ``--only NAME,...`` picks some.
Each benchmark writes ``bench/results/<name>.json``; the summary of all of them is written to
``bench/results/summary.md`` (the table the READMEs show).
"""

from __future__ import annotations

import argparse
import importlib
import json

from bench.results import RESULTS, Row, table

BENCHMARKS = ("dispatch", "workers", "planning", "outage", "webhook", "dashboard")


def summary() -> str:
    """One table from every results file there is, in the order of ``BENCHMARKS``."""
    rows: list[Row] = []
    machines = []
    for name in BENCHMARKS:
        path = RESULTS / f"{name}.json"
        if not path.exists():
            continue
        document = json.loads(path.read_text())
        machines.append(f"- {name}: {document['machine']}")
        rows.extend(Row(**row) for row in document["rows"])
    return table(rows) + "\n\nMachine per benchmark:\n\n" + "\n".join(machines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--only", default=",".join(BENCHMARKS))
    args = parser.parse_args()
    for name in args.only.split(","):
        if name not in BENCHMARKS:
            parser.error(f"unknown benchmark {name!r}; choose from {', '.join(BENCHMARKS)}")
        print(f"\n## {name}\n", flush=True)
        module = importlib.import_module(f"bench.{name}")
        module.main(["--engine", args.engine, "--sizes", args.sizes])
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "summary.md").write_text(summary())
    print(f"\nSummary of every result: {RESULTS / 'summary.md'}")


main()
