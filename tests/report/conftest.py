"""tests/report: the HTML run report, opened in headless Chromium.

Puts tests/pyhelpers (the shared pulsetier runner) on sys.path.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "pyhelpers"))
