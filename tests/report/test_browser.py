"""The demo report in headless Chromium: renders without console errors, every figure loads,
the at-risk tables are there.

Talks to Chromium through a tiny DevTools-protocol client over ``--remote-debugging-pipe``
(file descriptors 3 and 4, messages separated by NUL bytes): no network port is opened. Skipped
when Chromium (Debian package ``chromium``) is not installed.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = next(
    (
        p
        for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
        if p and Path(p).exists()
    ),
    None,
)

pytestmark = pytest.mark.skipif(
    CHROMIUM is None or os.name != "posix",
    reason="headless browser check skipped: chromium is not installed "
    "(Debian: apt-get install chromium)",
)


class _DevTools:
    """Minimal Chrome DevTools Protocol client over the remote-debugging pipe."""

    def __init__(self, binary: str, profile_dir: Path) -> None:
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # the browser reads commands on fd 3 and writes replies on fd 4
        self.proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-extensions",
                f"--user-data-dir={profile_dir}",
                "--remote-debugging-pipe",
                "about:blank",
            ],
            pass_fds=(3, 4),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=lambda: (os.dup2(to_browser_r, 3), os.dup2(from_browser_w, 4)),
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._buffer = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session: str | None = None,
        timeout: float = 30.0,
    ) -> dict[str, Any]:
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, timeout: float = 30.0) -> dict[str, Any]:
        for event in self.events:
            if event.get("method") == method:
                return event
        deadline = time.monotonic() + timeout
        while True:
            event = self._read(deadline)
            self.events.append(event)
            if event.get("method") == method:
                return event

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no reply from chromium")
            ready, _, _ = select.select([self._from_browser], [], [], left)
            if ready:
                chunk = os.read(self._from_browser, 1 << 16)
                if not chunk:
                    raise RuntimeError("chromium closed the DevTools pipe")
                self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def close(self) -> None:
        try:
            self.send("Browser.close", timeout=5)
        except (RuntimeError, TimeoutError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        for fd in (self._to_browser, self._from_browser):
            os.close(fd)


_CHECK = """
(() => {
  const imgs = Array.from(document.images);
  return {
    images: imgs.length,
    broken: imgs.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.alt),
    svgs: document.querySelectorAll('svg').length,
    atRisk: document.querySelectorAll('table.at-risk').length,
    tableOne: document.querySelectorAll('table.table-one').length,
    tableOneNotes: document.querySelectorAll('#tab-table_one + p.footnote, '
                                             + '#table-one > p.footnote').length,
    figureWidths: imgs.map(i => i.getBoundingClientRect().width),
    title: document.title,
  };
})()
"""


@pytest.fixture(scope="module")
def page_check(demo_build, tmp_path_factory) -> dict[str, Any]:
    client = _DevTools(CHROMIUM, tmp_path_factory.mktemp("chromium-profile"))
    try:
        target = client.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = client.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            client.send(domain, session=session)
        client.send("Page.navigate", {"url": demo_build.html.resolve().as_uri()}, session=session)
        client.wait_for("Page.loadEventFired", timeout=60)
        result = client.send(
            "Runtime.evaluate", {"expression": _CHECK, "returnByValue": True}, session=session
        )["result"]["value"]
        errors = []
        for event in client.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                errors.append(params.get("exceptionDetails", {}).get("text", "exception"))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                errors.append(str(params.get("args")))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                errors.append(params["entry"].get("text", ""))
        result["console_errors"] = errors
        return result
    finally:
        client.close()


def test_renders_without_console_errors(page_check):
    assert page_check["console_errors"] == []
    assert page_check["title"]


def test_every_figure_loads(page_check):
    assert page_check["images"] >= 8
    assert page_check["broken"] == []


def test_table_one_present_once_with_one_footnote_and_no_at_risk_tables(page_check):
    # numbers at risk are in the figures only; Table 1's footnote is not repeated
    assert page_check["atRisk"] == 0
    assert page_check["tableOne"] == 1
    assert page_check["tableOneNotes"] == 0


def test_figures_are_shown_large(page_check):
    # one-column figures (3.5 in) are shown at 1.5 x their print size (>= 450 px)
    assert min(page_check["figureWidths"]) >= 450
