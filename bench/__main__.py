"""``python -m bench NAME [--size N] [--database-url URL]``; ``python -m bench all`` runs each at
its default size. ``python -m bench load`` (not in ``all``: it needs the ``load`` extra) takes its own
options too (``python -m bench load --help``)."""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = {"registry_search": 1_000_000, "billing": 1_000_000, "import_registry": 1_000_000,
              "dedup": 1_000_000, "dashboard": 1_000_000,
              "allocation": 1_000_000, "page_weight": 600, "audit_log": 10_000_000}
OPTIONAL = {"load": 100_000}  # the server under traffic: locust, from the `load` extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("name", choices=[*BENCHMARKS, *OPTIONAL, "all"])
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server URL (a throw-away database is created on it)")
    args, rest = parser.parse_known_args(argv)
    if rest and args.name not in OPTIONAL:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    names = list(BENCHMARKS) if args.name == "all" else [args.name]
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        own = {"argv": rest} if name in OPTIONAL else {}
        module.run(size=args.size or {**BENCHMARKS, **OPTIONAL}[name], database_url=args.database_url, **own)
    return 0


if __name__ == "__main__":
    sys.exit(main())
