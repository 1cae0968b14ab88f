"""``reportgen serve``: the site on a local address, rebuilt and reloaded as you edit.

A :class:`SiteServer` serves the output folder over HTTP (by default on 127.0.0.1 only),
watches the content and template folders, rebuilds incrementally when a file changes, and
tells open pages to reload.  A missing address gets the site's 404 page, with status
404, as on a web host; folders are never listed.  Reloading works by adding one small script of the server's
own to each HTML page as it is served (the files on disk are never changed); the script
asks the server for the build number every second and reloads when it changes.  Search
(which needs HTTP) works here too.  A rebuild puts the changed pages in place and the
pages reload at once; the data files and the search index (the previous ones stay
meanwhile) are made again right after the reload (*after_rebuild*:
:func:`reportgen.build.finish_build`), in the time Pagefind needs.
"""

from __future__ import annotations

import functools
import http.server
import threading
import time
from pathlib import Path
from typing import Callable
from urllib.parse import urlsplit, urlunsplit

RELOAD_PATH = "/__reportgen__/"
RELOAD_SCRIPT = b"""// Added by `reportgen serve` only: reload this page when the site is rebuilt.
(function () {
  "use strict";
  var seen = null;
  function poll() {
    fetch("/__reportgen__/version", {cache: "no-store"}).then(function (r) {
      return r.text();
    }).then(function (version) {
      if (seen !== null && version !== seen) { window.location.reload(); }
      seen = version;
    }).catch(function () {}).then(function () { window.setTimeout(poll, 1000); });
  }
  poll();
})();
"""


def snapshot(folders: list[Path]) -> tuple:
    """A cheap signature of every file under *folders*: path, size and modification time."""
    entries = []
    for folder in folders:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                stat = path.stat()
                entries.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(entries)


class _Handler(http.server.SimpleHTTPRequestHandler):
    server_version = "reportgen"

    def __init__(self, *args, state: "SiteServer", **kwargs):
        self.state = state
        super().__init__(*args, directory=str(state.out_dir), **kwargs)

    def log_message(self, format, *args):  # noqa: A002 - the signature is http.server's
        pass

    def do_GET(self):  # noqa: N802 - http.server's name
        if self.path.startswith(RELOAD_PATH):
            name = self.path[len(RELOAD_PATH):].split("?")[0]
            if name == "version":
                return self._send(str(self.state.version).encode(), "text/plain")
            if name == "reload.js":
                return self._send(RELOAD_SCRIPT, "text/javascript")
            return self.send_error(404)
        path = Path(self.translate_path(self.path))
        address = urlsplit(self.path)
        if path.is_dir():
            if not address.path.endswith("/"):  # relative links need the slash
                self.send_response(301)
                self.send_header("Location", urlunsplit(address._replace(path=address.path + "/")))
                self.send_header("Content-Length", "0")
                return self.end_headers()
            path = path / "index.html"
        if not path.is_file():
            return self._not_found(address.path)
        if path.suffix == ".html":
            return self._send_page(path)
        return super().do_GET()

    def _send_page(self, path: Path, status: int = 200) -> None:
        html = path.read_bytes()
        tag = b'<script src="/__reportgen__/reload.js" defer></script>'
        html = html.replace(b"</body>", tag + b"\n</body>", 1)
        self._send(html, "text/html; charset=utf-8", status)

    def _not_found(self, address: str) -> None:
        """A missing address: the site's 404 page (the English one under /en/), as a
        web host would show it; a directory is never listed."""
        root = Path(self.directory)
        page = root / "en" / "404.html" if address.startswith("/en/") else root / "404.html"
        if not page.is_file():
            page = root / "404.html"
        if page.is_file():
            return self._send_page(page, 404)
        return self.send_error(404)

    def _send(self, body: bytes, content_type: str, status: int = 200) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)


class SiteServer:
    """Serves *out_dir* and rebuilds it with *rebuild* when the watched folders change."""

    def __init__(self, out_dir: Path, watched: list[Path], rebuild: Callable[[], bool],
                 host: str = "127.0.0.1", port: int = 8000, interval: float = 0.5,
                 after_rebuild: Callable[[], bool] | None = None,
                 warm_up: Callable[[], None] | None = None):
        self.out_dir = out_dir
        self.watched = watched
        self.rebuild = rebuild
        # Work that follows the reload (the data files, the search index); True when
        # open pages should reload again (the search index changed).
        self.after_rebuild = after_rebuild
        self.warm_up = warm_up  # run once, while waiting for the first edit
        self.interval = interval
        self.version = 1
        self._stop = threading.Event()
        handler = functools.partial(_Handler, state=self)
        self.httpd = http.server.ThreadingHTTPServer((host, port), handler)

    @property
    def address(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}/"

    def watch(self) -> None:
        """Rebuild whenever the watched files change, until stopped."""
        last = snapshot(self.watched)
        if self.warm_up:  # (an edit meanwhile is seen next)
            try:
                self.warm_up()
            except Exception:  # noqa: BLE001 - a failed warm-up must not stop the watching
                pass
        while not self._stop.wait(self.interval):
            now = snapshot(self.watched)
            if now == last:
                continue
            time.sleep(self.interval / 2)  # let an editor finish writing
            last = snapshot(self.watched)
            if self.rebuild():
                self.version += 1  # open pages reload now...
                if self.after_rebuild and self.after_rebuild():  # ...while this runs
                    self.version += 1  # a search page open meanwhile needs the new index

    def serve_forever(self) -> None:
        watcher = threading.Thread(target=self.watch, name="reportgen-watch", daemon=True)
        watcher.start()
        try:
            self.httpd.serve_forever(poll_interval=0.25)
        finally:
            self._stop.set()
            self.httpd.server_close()

    def shutdown(self) -> None:
        self._stop.set()
        self.httpd.shutdown()
