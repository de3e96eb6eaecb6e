"""The whole check, as the README's second command and CI run it: lint, format, layers, then the suite.

`python -m tests` stops at the first step that fails; arguments go to pytest (`python -m tests -k linking`).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent

STEPS = [
    [str(BIN / "ruff"), "check", "."],
    [str(BIN / "ruff"), "format", "--check", "."],
    [str(BIN / "lint-imports")],
]


def main(pytest_args: list[str]) -> int:
    for step in STEPS:
        print("$", " ".join(Path(step[0]).name if i == 0 else a for i, a in enumerate(step)), flush=True)
        if (code := subprocess.call(step, cwd=ROOT)) != 0:
            return code
    return subprocess.call([sys.executable, "-m", "pytest", *pytest_args], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
