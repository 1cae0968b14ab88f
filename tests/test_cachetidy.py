"""reportgen.cachetidy: entries no build used for a month leave the cache; what a saved
state refers to, and whatever a build reads, stays; and a tidied cache still builds the
same site."""

from __future__ import annotations

import json
import os
import pickle
import shutil
import time
from pathlib import Path

from reportgen.build import build_site
from reportgen.cachetidy import MARKER, UNUSED_DAYS, tidy_cache
from tests.conftest import DATA, TEMPLATES, run_cli
from tests.test_incremental import FACTS, all_files, edit

DAY = 86400
NOW = time.time()
OLD = NOW - (UNUSED_DAYS + 10) * DAY


def put(path: Path, mtime: float = NOW, text: str = "x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    os.utime(path, (mtime, mtime))
    return path


def put_state(path: Path, mtime: float, fields: dict) -> Path:
    """A site's saved state (see reportgen.buildstate.save_state), with just *fields*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(("token", fields)))
    os.utime(path, (mtime, mtime))
    return path


def age(folder: Path, mtime: float = OLD) -> None:
    """Make everything under *folder* look unused since *mtime*."""
    for path in [folder, *folder.rglob("*")]:
        os.utime(path, (mtime, mtime), follow_symlinks=False)


def test_unused_entries_go_and_what_is_used_or_referred_to_stays(tmp_path):
    cache = tmp_path / "cache"
    stale_svg = put(cache / "svg/ab/ab-old", OLD)
    fresh_svg = put(cache / "svg/ab/ab-new")
    referred_svg = put(cache / "svg/cd/cd-kept", OLD)
    lone_svg = put(cache / "svg/ef/ef-old", OLD)
    stale_copy = put(cache / "search-copies/12/12-old", OLD)
    referred_copy = put(cache / "search-copies/34/34-kept", OLD)
    stale_facts = put(cache / "facts/old.pickle", OLD)
    fresh_facts = put(cache / "facts/new.pickle")
    stale_js = put(cache / "js/99/99-old", OLD)
    old_templates = put(cache / "templates/oldversion/__jinja2_a.cache")
    age(old_templates.parent)
    new_templates = put(cache / "templates/newversion/__jinja2_a.cache", OLD)
    os.utime(new_templates.parent)  # the folder is what a build marks used
    state = {"search_copies": {"regions/a/index.html": "34-kept"},
             "charts": {"regions/a/index.html": ["cd-kept"]}}
    live_state = put_state(cache / "builds/livesite.pickle", NOW, state)
    gone_state = put_state(cache / "builds/gonesite.pickle", OLD,
                           {"search_copies": {"x": "12-old"}, "charts": {"x": ["ab-old"]}})
    live_tree = put(cache / "search-trees/livesite/id/index.html", OLD)
    age(cache / "search-trees/livesite")
    gone_tree = put(cache / "search-trees/gonesite/id/index.html", OLD)
    age(cache / "search-trees/gonesite")
    old_write = put(cache / "svg/ab/ab-half.tmp4242", NOW - 2 * DAY)
    new_write = put(cache / "svg/ab/ab-half.tmp4343", NOW - 3600)

    gone = [stale_svg, lone_svg, stale_copy, stale_facts, stale_js, old_templates,
            gone_state, gone_tree, old_write]
    kept = [fresh_svg, referred_svg, referred_copy, fresh_facts, new_templates, live_state,
            live_tree, new_write]
    size = sum(p.stat().st_size for p in gone)

    tidied = tidy_cache(cache, now=NOW)

    assert [p for p in gone if p.exists()] == []
    assert [p for p in kept if not p.exists()] == []
    assert (tidied.files, tidied.bytes) == (len(gone), size)
    # Sub-folders stay, even empty: another build may be about to write into one.
    assert (cache / "svg/ef").is_dir() and not list((cache / "svg/ef").iterdir())
    assert not (cache / "templates/oldversion").exists()


def test_the_cache_is_tidied_at_most_once_a_day(tmp_path):
    cache = tmp_path / "cache"
    put(cache / "svg/ab/first", OLD)
    assert tidy_cache(cache, now=NOW).files == 1
    later = put(cache / "svg/ab/second", OLD)
    assert tidy_cache(cache, now=NOW + 3600) is None  # (not due)
    assert later.exists()
    assert tidy_cache(cache, now=NOW + 25 * 3600).files == 1
    assert not later.exists()
    assert (cache / MARKER).stat().st_mtime == NOW + 25 * 3600


def test_a_missing_or_empty_cache_is_tidied_without_error(tmp_path):
    assert tidy_cache(tmp_path / "none", now=NOW) is None
    (tmp_path / "empty").mkdir()
    tidied = tidy_cache(tmp_path / "empty", now=NOW)
    assert tidied is not None and tidied.files == 0 and not tidied


def test_reading_an_entry_marks_it_used(tmp_path):
    from reportgen.content import load_content
    from reportgen.factcache import FactFileCache
    from reportgen.render import compiled_templates
    from reportgen.search import SearchCopies
    from reportgen.vega import VegaRenderer

    cache = tmp_path / "cache"
    spec = {"data": {"values": [{"x": 1}]}, "mark": "point",
            "encoding": {"x": {"field": "x", "type": "quantitative"}}}
    renderer = VegaRenderer(cache)
    name, svg = renderer.svg_entry(spec)
    copies = SearchCopies(cache / "search-copies")
    digest = copies.put("<main>words</main>")
    content = DATA / "minimal" / "content"
    assert load_content(content, cache=FactFileCache(cache))[1] == []
    folder = Path(compiled_templates(cache, "id").directory)
    age(cache)

    assert VegaRenderer(cache).svg_entry(spec) == (name, svg)
    assert copies.put("<main>words</main>") == digest
    assert load_content(content, cache=FactFileCache(cache))[1] == []  # a new process's
    compiled_templates(cache, "id")

    # What the second load read: the checked registries (not their parsed YAML) and the
    # checked fact files.
    read = [p for p in cache.rglob("*.pickle") if not p.name.startswith("yaml-")]
    assert len(read) == 1 + len(list((content / "facts").glob("*.yaml")))
    unused = [p for p in [*read, cache / "svg" / name[:2] / name, copies.path(digest), folder]
              if p.stat().st_mtime < NOW - DAY]
    assert unused == []


def test_a_tidied_cache_keeps_what_the_site_needs_and_builds_the_same_site(tmp_path):
    """A month of nothing, then an edit: what the last build's pages use stays, junk
    goes, and the incremental build still equals a clean one."""
    content = tmp_path / "content"
    shutil.copytree(DATA / "minimal" / "content", content)
    cache, out, clean = tmp_path / "cache", tmp_path / "site", tmp_path / "clean"
    first = build_site(content, TEMPLATES, out, cache_dir=cache)
    assert first.tidied is not None and first.tidied.files == 0  # (the first tidy)
    before = {p.name for p in (cache / "svg").rglob("*") if p.is_file()}
    junk = put(cache / "svg/00/00-junk")
    age(cache)

    edit(content / FACTS, "value: 1000\n", "value: 1200\n")
    again = build_site(content, TEMPLATES, out, cache_dir=cache)
    assert again.mode == "incremental" and again.rendered < again.pages
    assert again.tidied is not None and again.tidied.files >= 1
    assert not junk.exists()
    [state] = [pickle.loads(p.read_bytes())[1] for p in (cache / "builds").glob("*.pickle")]
    charts = {name for names in state["charts"].values() for name in names}
    left = {p.name: p for p in (cache / "svg").rglob("*") if p.is_file()}
    assert charts == set(left)  # every chart the site shows, and nothing else
    assert before - charts  # the edited charts' old images went
    # Some were not read by this build (their pages were kept): the state kept them.
    assert [name for name in charts if left[name].stat().st_mtime < NOW - DAY]
    copies = set(state["search_copies"].values())
    assert copies == {p.name for p in (cache / "search-copies").rglob("*") if p.is_file()}
    build_site(content, TEMPLATES, clean, use_cache=False)
    assert all_files(out) == all_files(clean)


def test_verbose_build_says_what_the_tidy_removed(tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    put(cache / "svg/00/00-junk", OLD, "x" * 2_000_000)
    monkeypatch.setenv("REPORTGEN_CACHE", str(cache))
    result = run_cli("build", "--content", DATA / "minimal" / "content",
                     "--templates", TEMPLATES, "--out", tmp_path / "site", "--verbose")
    assert result.exit_code == 0, result.output
    assert f"cache: removed 1 file unused for {UNUSED_DAYS} days (2.0 MB)" in result.output
    assert "tidy the cache" in result.output


def test_loading_a_sites_state_marks_it_used(tmp_path):
    """A site rebuilt every day with nothing changed keeps its state (and so its entries)."""
    from reportgen.buildstate import BuildState, _state_path, load_state, save_state

    cache, site = tmp_path / "cache", tmp_path / "site"
    save_state(cache, site, BuildState("inputs", {}, {}, {}))
    age(cache)
    assert load_state(cache, site) is not None
    tidy_cache(cache, now=NOW)
    assert _state_path(cache, site).exists()


def test_the_cache_is_not_tidied_while_a_build_uses_it(tmp_path):
    """A build holds the cache (shared with other builds) for as long as it runs; a tidy
    needs it alone, so it is left for a later build, and a build waits for no tidy."""
    from reportgen.cachetidy import cache_in_use

    cache = tmp_path / "cache"
    junk = put(cache / "svg/ab/old", OLD)
    with cache_in_use(cache):
        with cache_in_use(cache):  # another build at the same time
            assert tidy_cache(cache, now=NOW, force=True) is None
        assert junk.exists() and not (cache / MARKER).exists()
    assert tidy_cache(cache, now=NOW).files == 1 and not junk.exists()
