"""`make audit`: pip-audit over the project's installed dependencies (the .venv that `make install` built from the
pinned ranges in pyproject.toml). Fails on any known vulnerability.

pip-audit reads the advisories from PyPI's JSON API. Where that API cannot be reached, pip-audit reports every
package as "not found" and, on its own, passes having audited nothing; this says so loudly instead, and fails
unless AUDIT_OFFLINE_OK=1 (set by .ci/run, whose machines reach PyPI's package index but not always that API).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "audit.json"
        run = subprocess.run(  # noqa: S603 - our own venv's pip-audit, fixed arguments
            [
                str(Path(sys.executable).with_name("pip-audit")),
                "--skip-editable",
                "--progress-spinner",
                "off",
                "--format",
                "json",
                "--output",
                str(report),
            ],
            check=False,
        )
        result = json.loads(report.read_text()) if report.exists() else {"dependencies": []}
    dependencies = result.get("dependencies", [])
    vulnerable = [d for d in dependencies if d.get("vulns")]
    audited = [d for d in dependencies if "skip_reason" not in d]
    for dependency in vulnerable:
        ids = ", ".join(
            v["id"] + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
            for v in dependency["vulns"]
        )
        print(f"VULNERABLE {dependency['name']} {dependency['version']}: {ids}")
    if vulnerable or run.returncode not in (0, 1):
        return 1
    if not audited:
        print(
            "pip-audit could not read any advisory (PyPI's JSON API is unreachable from here): NOTHING WAS AUDITED"
        )
        return 0 if os.environ.get("AUDIT_OFFLINE_OK") == "1" else 2
    print(f"pip-audit: {len(audited)} dependencies audited, no known vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main())
