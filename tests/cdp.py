"""A minimal Chrome DevTools Protocol client over ``--remote-debugging-pipe``.

Chromium reads protocol messages from file descriptor 3 and writes its answers to 4,
each a JSON object ended by a NUL byte: no websocket, so no library beyond the standard
one. Enough to open a page at a given viewport, ask where elements are and take a
screenshot, as a reader's first screen would show it.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import subprocess
import time


class Browser:
    """One headless Chromium with one page, driven through the protocol."""

    def __init__(self, executable: str, flags: list[str], *, width: int, height: int):
        ours_read, theirs_write = os.pipe()  # Chromium writes to its fd 4
        theirs_read, ours_write = os.pipe()  # Chromium reads from its fd 3

        def pipes_at_3_and_4():
            # Out of the way first: either pipe end may itself be descriptor 3 or 4.
            read, write = (fcntl.fcntl(fd, fcntl.F_DUPFD, 10) for fd in (theirs_read, theirs_write))
            os.dup2(read, 3)  # dup2 leaves the copy inheritable
            os.dup2(write, 4)

        self.process = subprocess.Popen(
            [executable, *flags, "--remote-debugging-pipe", "about:blank"],
            # dup2 makes 3 and 4 inheritable; close_fds would close them after preexec_fn.
            # The pipes' own descriptors are not inheritable, so nothing else leaks.
            preexec_fn=pipes_at_3_and_4, close_fds=False,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        os.close(theirs_read)
        os.close(theirs_write)
        self._in = os.fdopen(ours_read, "rb", buffering=0)
        self._out = os.fdopen(ours_write, "wb", buffering=0)
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict] = []
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        self.resize(width, height)
        self.call("Page.enable", session=True)

    def resize(self, width: int, height: int, *, mobile: bool = False) -> None:
        """The viewport a reader has; ``mobile`` as a phone lays pages out (its viewport meta tag)."""
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                  mobile=mobile, session=True)  # fmt: skip

    def call(self, method: str, *, session: bool = False, **params) -> dict:
        """Send one command and wait for its answer; events that arrive meanwhile are kept."""
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params}
        if session:
            message["sessionId"] = self.session
        self._out.write(json.dumps(message).encode() + b"\0")
        while True:
            answer = self._receive()
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
            self.events.append(answer)

    def _receive(self) -> dict:
        while b"\0" not in self._buffer:
            chunk = self._in.read(1 << 16)
            if not chunk:
                raise RuntimeError("Chromium closed the protocol pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(message)

    def open(self, url: str, *, ready: str, timeout: float = 60) -> None:
        """Navigate and wait until the JavaScript expression ``ready`` is true."""
        self.call("Page.navigate", url=url, session=True)
        deadline = time.monotonic() + timeout
        while not self.evaluate(ready):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url}: {ready} still false after {timeout} s")
            time.sleep(0.2)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True,
                           session=True)  # fmt: skip
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def boxes(self, selector: str) -> list[dict]:
        """The border boxes (x, y, width, height, in viewport pixels) of every match of ``selector``."""
        root = self.call("DOM.getDocument", depth=0, session=True)["root"]["nodeId"]
        nodes = self.call("DOM.querySelectorAll", nodeId=root, selector=selector, session=True)["nodeIds"]
        found = []
        for node in nodes:
            try:
                quad = self.call("DOM.getBoxModel", nodeId=node, session=True)["model"]["border"]
            except RuntimeError:  # not rendered: no box
                continue
            xs, ys = quad[0::2], quad[1::2]
            found.append({"x": min(xs), "y": min(ys), "width": max(xs) - min(xs), "height": max(ys) - min(ys)})
        return found

    def click(self, x: float, y: float) -> None:
        """A left click at (x, y) in viewport pixels, as a mouse gives it."""
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1, session=True)

    def screenshot(self, path) -> None:
        """The viewport as it is now (no scrolling), as PNG."""
        data = self.call("Page.captureScreenshot", format="png", session=True)["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))

    def close(self) -> None:
        try:
            self.call("Browser.close")
        except (RuntimeError, OSError):
            pass
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._in.close()
        self._out.close()
