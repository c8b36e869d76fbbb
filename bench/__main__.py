"""``python -m bench``: run every benchmark."""

from bench.dispatch import main

main()
