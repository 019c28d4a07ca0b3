"""The code base stays `ruff check` clean (configuration in pyproject.toml)."""

import shutil
import subprocess

from site_helpers import ROOT


def test_ruff_check_is_clean():
    ruff = shutil.which("ruff")
    assert ruff, "ruff is a test dependency (requirements-dev.txt)"
    result = subprocess.run([ruff, "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-4000:]
