"""reportgen serve: serves the built site on localhost, injects the reload script, and
rebuilds when a fact file changes (all traffic to 127.0.0.1, bounded in time)."""

from __future__ import annotations

import gzip
import shutil
import subprocess
import sys
import time
import urllib.request

import pytest

from tests.conftest import DATA, ROOT, TEMPLATES, run_cli


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
        if fetch(address + "__reportgen__/version") == version:  # (what serve said, then)
            process.terminate()
            pytest.fail("no rebuild within 120 s of the edit; serve said:\n"
                        + process.communicate(timeout=10)[0][-4000:])
        assert "1.234" in fetch(address + "regions/kota-contoh/index.html")
        assert "__reportgen__" not in (out / "regions" / "kota-contoh" / "index.html").read_text()

        # The pages came first; the data files and the search index follow, and then
        # the search finds the new figure.
        said = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any(
                "Data files and search index up to date" in line for line in said):
            said.append(process.stdout.readline())
        assert any("the data files and the search index follow" in line for line in said), said
        assert any("Data files and search index up to date" in line for line in said), said
        fragments = b"".join(gzip.decompress(p.read_bytes())
                             for p in (out / "pagefind").glob("*/fragment/id_*"))
        assert b"1.234" in fragments and b"1.000 orang" not in fragments
        assert b"1234" in (out / "data" / "facts.json").read_bytes()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_missing_addresses_get_the_404_page_of_their_language(tmp_path):
    import threading
    import urllib.error

    from reportgen.serve import SiteServer

    site = tmp_path / "site"
    for path, text in {"index.html": "home", "404.html": "tidak ditemukan",
                       "en/404.html": "not found", "regions/x/index.html": "region",
                       "static/style.css": "body{}"}.items():
        (site / path).parent.mkdir(parents=True, exist_ok=True)
        (site / path).write_text(f"<html><body>{text}</body></html>")
    server = SiteServer(site, [], rebuild=lambda: False, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        def status_and_body(path: str) -> tuple[int, str]:
            try:
                with urllib.request.urlopen(server.address + path, timeout=5) as response:
                    return response.status, response.read().decode()
            except urllib.error.HTTPError as error:
                return error.code, error.read().decode()

        assert status_and_body("nowhere/")[0] == 404
        code, body = status_and_body("nowhere/index.html")
        assert code == 404 and "tidak ditemukan" in body and "reload.js" in body
        code, body = status_and_body("en/nowhere/")
        assert code == 404 and "not found" in body
        code, body = status_and_body("static/")  # a folder without index.html: not listed
        assert code == 404 and "style.css" not in body
        code, body = status_and_body("regions/x")  # redirected to regions/x/, then served
        assert code == 200 and "region" in body
        assert status_and_body("static/style.css") == (200, "<html><body>body{}</body></html>")
    finally:
        server.shutdown()
        thread.join(timeout=5)


def test_serve_refuses_a_folder_it_did_not_build(tmp_path):
    """Serving would mean building into it (and serving someone's files meanwhile): serve
    stops at once, as build does, with the folder as it was."""
    out = tmp_path / "notes"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    result = run_cli("serve", "--content", DATA / "minimal" / "content", "--templates",
                     TEMPLATES, "--out", out, "--port", "0")
    assert result.exit_code == 1
    assert f"Error: refusing to replace {out}: it holds files" in result.stderr
    assert "Serving" not in result.output
    assert [p.name for p in out.iterdir()] == ["notes.txt"]


def test_a_failed_warm_up_does_not_stop_the_rebuilds(tmp_path):
    """Getting ready for the first edit (loading the content ahead) may fail; the server
    goes on watching and rebuilds when a file changes."""
    import threading

    from reportgen.serve import SiteServer

    watched = tmp_path / "content"
    watched.mkdir()
    (watched / "a.yaml").write_text("one")
    rebuilt = threading.Event()

    def warm_up():
        raise RuntimeError("no content to load ahead")

    def rebuild():
        rebuilt.set()
        return True

    server = SiteServer(tmp_path, [watched], rebuild, port=0, interval=0.05, warm_up=warm_up)
    watcher = threading.Thread(target=server.watch, daemon=True)
    watcher.start()
    try:
        time.sleep(0.2)
        (watched / "a.yaml").write_text("two, longer")
        assert rebuilt.wait(10)
        assert server.version == 2
    finally:
        server._stop.set()  # (the watching only: serve_forever never ran)
        watcher.join(timeout=5)
        server.httpd.server_close()
