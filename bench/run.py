"""`make bench`: run every area's benchmark, or the ones named: `python -m bench.run portal marketplace`."""

from __future__ import annotations

import importlib
import sys

AREAS = ["portal", "marketplace", "messaging", "sales", "reviews"]


def main(argv: list[str]) -> None:
    for area in argv or AREAS:
        try:
            module = importlib.import_module(f"bench.{area}")
        except ModuleNotFoundError:
            print(f"(no benchmark for {area} yet)")
            continue
        print(f"=== {area}")
        module.main()


if __name__ == "__main__":
    main(sys.argv[1:])
