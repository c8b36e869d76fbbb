"""The command-line options every benchmark takes: ``--engine`` and ``--sizes``."""

from __future__ import annotations

import argparse

from bench.programme import ENGINES, SIZES


def sizes_from(value: str) -> tuple[int, ...]:
    """``"1000,10_000"`` -> ``(1000, 10000)``."""
    try:
        sizes = tuple(int(size.strip().replace("_", "")) for size in value.split(","))
    except ValueError:
        message = f"sizes must be numbers, e.g. 1000,10000: {value!r}"
        raise argparse.ArgumentTypeError(message) from None
    if any(size < 1 for size in sizes):
        raise argparse.ArgumentTypeError(f"sizes must be positive: {value!r}")
    return sizes


def engines_from(value: str) -> tuple[str, ...]:
    """``both`` -> every engine, otherwise the one named."""
    return ENGINES if value == "both" else (value,)


def benchmark_arguments(
    description: str, *, engines: tuple[str, ...] = ENGINES
) -> argparse.ArgumentParser:
    """A parser with ``--engine`` (one of ``engines`` or ``both``) and ``--sizes``."""
    parser = argparse.ArgumentParser(description=description)
    choices = (*engines, "both") if len(engines) > 1 else engines
    parser.add_argument("--engine", choices=choices, default=choices[-1])
    parser.add_argument(
        "--sizes",
        type=sizes_from,
        default=SIZES,
        help="participants, comma-separated (default: " + ",".join(map(str, SIZES)) + ")",
    )
    return parser
