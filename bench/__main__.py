"""``python -m bench NAME [--size N] [--database-url URL]``; ``python -m bench all`` runs each at
its default size."""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = {"registry_search": 1_000_000, "billing": 1_000_000, "import_registry": 1_000_000,
              "dedup": 1_000_000, "dashboard": 1_000_000,
              "allocation": 1_000_000, "page_weight": 600, "audit_log": 10_000_000}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument("name", choices=[*BENCHMARKS, "all"])
    parser.add_argument("--size", type=int, default=None)
    parser.add_argument("--database-url", default=None,
                        help="PostgreSQL server URL (a throw-away database is created on it)")
    args = parser.parse_args(argv)
    names = list(BENCHMARKS) if args.name == "all" else [args.name]
    for name in names:
        module = importlib.import_module(f"bench.{name}")
        module.run(size=args.size or BENCHMARKS[name], database_url=args.database_url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
