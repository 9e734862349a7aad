"""`make bench`: run every area's benchmark, or the ones named: `python -m bench.run portal marketplace`."""

from __future__ import annotations

import importlib
import sys

from models import cross_tenant

AREAS = ["portal", "marketplace", "messaging", "sales", "reviews"]
BENCH_DATA = "generating benchmark data for many breeders"


def main(argv: list[str]) -> None:
    for area in argv or AREAS:
        try:
            module = importlib.import_module(f"bench.{area}")
        except ModuleNotFoundError:
            print(f"(no benchmark for {area} yet)")
            continue
        print(f"=== {area}")
        # The generators write many breeders' rows; each page timed is a request, which starts with no tenant.
        with cross_tenant(BENCH_DATA):
            module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
