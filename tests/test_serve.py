"""reportgen serve: serves the built site on localhost, injects the reload script, and
rebuilds when a fact file changes (all traffic to 127.0.0.1, bounded in time)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import urllib.request

from tests.conftest import DATA, ROOT, TEMPLATES


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode("utf-8")


def test_serve_builds_serves_and_rebuilds_on_change(tmp_path):
    content = tmp_path / "content"
    shutil.copytree(DATA / "minimal" / "content", content)
    out = tmp_path / "site"
    process = subprocess.Popen(
        [sys.executable, "-m", "reportgen", "serve", "--content", str(content), "--templates",
         str(TEMPLATES), "--out", str(out), "--port", "0"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**__import__("os").environ, "REPORTGEN_CACHE": str(tmp_path / "cache")})
    try:
        address = None
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and address is None:
            line = process.stdout.readline()
            if "Serving" in line:
                address = line.split(" at ")[1].split(" ")[0]
        assert address and address.startswith("http://127.0.0.1:")
        page = fetch(address + "regions/kota-contoh/index.html")
        assert "1.000" in page
        assert '<script src="/__reportgen__/reload.js" defer></script>' in page
        assert "location.reload" in fetch(address + "__reportgen__/reload.js")
        version = fetch(address + "__reportgen__/version")

        facts = content / "facts" / "kota-contoh.yaml"
        facts.write_text(facts.read_text().replace("value: 1000\n", "value: 1234\n"))
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and fetch(address + "__reportgen__/version") == version:
            time.sleep(0.3)
        assert fetch(address + "__reportgen__/version") != version
        assert "1.234" in fetch(address + "regions/kota-contoh/index.html")
        assert "__reportgen__" not in (out / "regions" / "kota-contoh" / "index.html").read_text()
    finally:
        process.terminate()
        process.wait(timeout=10)
