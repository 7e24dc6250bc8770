"""Shared by every Python suite under tests/: puts tests/pyhelpers (the
pulsetier runner and readers they share) on sys.path."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "pyhelpers"))
