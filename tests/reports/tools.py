"""What the report tests need from the machine: a headless Chromium and curl.

Outside CI a missing tool skips the test that needs it, saying which; under
CI (`CI=true`, where .ci/run installs both) a missing tool is a failure.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

__all__ = ["require", "chromium", "BROWSER_TIMEOUT"]

BROWSER_TIMEOUT = 60.0

#: without the background-networking flags Chromium tries to reach the network, which tests must not
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage", "--hide-scrollbars"]


def require(*names: str) -> str:
    """The path of the first of `names` found; skip (fail under CI) when none is installed."""
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    message = f"{names[0]} is not installed (apt-get install {names[0]}; .ci/run installs it)"
    if os.environ.get("CI"):
        pytest.fail(f"{message}: CI must have it")
    pytest.skip(message)


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    """Run headless Chromium once with its own throw-away profile."""
    binary = require("chromium", "chromium-browser")
    with tempfile.TemporaryDirectory(prefix="conformance-chromium-") as profile:
        return subprocess.run([binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args], capture_output=True,
                              text=True, timeout=BROWSER_TIMEOUT, stdin=subprocess.DEVNULL,
                              env={**os.environ, "HOME": profile})


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
