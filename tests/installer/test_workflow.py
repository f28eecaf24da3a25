"""``.github/workflows/windows.yml``, read as YAML: bounded steps, an uninstall check
that waits for everything it then asserts. The workflow cannot run here, so these are
the checks that can."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tests.installer.conftest import ROOT

WORKFLOW = ROOT / ".github" / "workflows" / "windows.yml"
ARP_KEY = r"HKLM:\Software\Microsoft\Windows\CurrentVersion\Uninstall\capdesk"


def _steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def _step(name_start: str) -> dict[str, Any]:
    found = [s for s in _steps() if str(s.get("name", "")).startswith(name_start)]
    assert len(found) == 1, name_start
    return found[0]


@pytest.mark.parametrize("index", range(len(_steps())))
def test_every_step_has_its_own_timeout(index):
    """Without one a hung step (an installer waiting on a hidden prompt, a smoke test that
    never exits) holds the runner for the job's whole 45 minutes."""
    step = _steps()[index]
    minutes = step.get("timeout-minutes")
    assert isinstance(minutes, int) and 1 <= minutes <= 20, step.get("name") or step.get("uses")


def test_uninstall_waits_for_the_folder_and_the_add_remove_key():
    """The uninstaller returns at once and deletes the folder before the Add/Remove key:
    polling for the folder alone then found the key still there, a false failure."""
    script = _step("Uninstall silently")["run"]
    loop = next(line for line in script.splitlines() if line.lstrip().startswith("for ("))
    condition = loop.split(";")[1]
    assert re.search(r"\$i -lt \d+", condition), "the wait must be bounded"
    assert "Test-Path $folder" in condition and "Test-Path $arp" in condition
    assert " -or " in condition  # go on waiting while either is still there
    assert f"$arp = '{ARP_KEY}'" in script
    assert script.index(loop) < script.index('throw "ARP entry still there"')
