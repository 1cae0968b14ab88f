"""reportgen.charts on the minimal fixture: chart choice, deterministic specs, citations, validity."""

from __future__ import annotations

import copy
import dataclasses
import json
import re
import os
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import altair as alt
import jsonschema
import pytest
from altair.vegalite.v6.schema.core import load_schema

from reportgen.charts import d3_format_locale, program_chart, region_charts
from reportgen.content import load_content

MINIMAL = Path(__file__).resolve().parent / "data" / "minimal" / "content"


@pytest.fixture(scope="module")
def content():
    loaded, problems = load_content(MINIMAL)
    assert problems == []
    return loaded


def city_charts(content, locale="id"):
    region = content.regions["kota-contoh"]
    return region_charts(region, [f for f in content.facts if f.region is region], locale)


@pytest.fixture(scope="module")
def charts(content) -> dict:
    return {chart.name: chart for chart in city_charts(content)}


@pytest.fixture(scope="module")
def vega_lite_validator():
    return jsonschema.Draft7Validator(load_schema())


def walk(node):
    """Every (key, value) pair anywhere in a JSON-like structure."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)


def test_region_gets_figures_and_trend_charts(charts):
    assert list(charts) == ["figures", "trends"]
    figures, trend = charts["figures"], charts["trends"]
    assert figures.title == "Angka terbaru Kota Contoh menurut indikator"
    assert [f.id for f in figures.facts] == [
        "kota-contoh-anggaran-2024", "kota-contoh-peserta-2023", "kota-contoh-target-2024"]
    assert trend.title == "Angka Kota Contoh menurut tahun"
    assert [row["period"] for row in trend.spec["data"]["values"]] == ["2023", "2024"]
    assert trend.spec["usermeta"] == {"facts": ["kota-contoh-peserta-2023",
                                                "kota-contoh-target-2024"]}
    assert trend.description.startswith(trend.title + ": 2 angka")


def test_no_charts_without_facts(content):
    assert region_charts(content.regions["indonesia"], []) == []
    assert program_chart(content.programs["jkk"], []) == []


def test_spec_is_deterministic(content, charts):
    again = {chart.name: chart for chart in city_charts(content)}
    for name, chart in charts.items():
        assert again[name].spec == chart.spec
        assert (json.dumps(again[name].spec, sort_keys=True)
                == json.dumps(chart.spec, sort_keys=True))


def test_spec_has_no_params_or_generated_names(charts):
    for chart in charts.values():
        assert "params" not in {key for key, _ in walk(chart.spec)}
        text = json.dumps(chart.spec)
        for generated in ("param_", "view_", "selector0"):
            assert generated not in text, (chart.name, generated)


def test_subtitle_names_every_source_publisher(charts):
    assert charts["figures"].spec["title"]["subtitle"] == [
        "Sumber: Warta Uji, 2024; Harian Contoh, 1 Maret 2024"]
    assert charts["trends"].spec["title"]["subtitle"] == [
        "Sumber: Harian Contoh, 1 Maret 2024"]


def test_english_subtitle_and_labels(content):
    figures = city_charts(content, "en")[0]
    assert figures.title == "Example City: latest figures by metric"
    assert figures.spec["title"]["subtitle"] == [
        "Sources: Warta Uji, 2024; Harian Contoh, 1 March 2024"]
    budget = figures.spec["data"]["values"][0]
    assert (budget["figure"], budget["status"]) == ("IDR 2.2 billion", "Allocated budget")


def test_tooltips_include_sources(charts):
    for chart in charts.values():
        tooltips = [value for key, value in walk(chart.spec) if key == "tooltip"]
        assert tooltips, chart.name
        for tooltip in tooltips:
            fields = [t["field"] for t in tooltip]
            assert "sources" in fields and "figure" in fields
    rows = charts["figures"].spec["data"]["values"]
    assert rows[0]["sources"] == "Harian Contoh, 1 Maret 2024; Warta Uji, 2024"


def test_range_fact_row_has_low_high_and_no_point(charts):
    for chart in charts.values():
        row = next(r for r in chart.spec["data"]["values"] if r["fact"] == "kota-contoh-target-2024")
        assert (row["low"], row["high"], row["point"]) == (1500, 2000, None)
        assert row["figure"] == "sekitar 1.500–2.000 orang"
        assert row["status"] == "Target"
    single = next(r for r in charts["figures"].spec["data"]["values"]
                  if r["fact"] == "kota-contoh-peserta-2023")
    assert (single["low"], single["high"], single["point"]) == (1000, 1000, 1000)


def test_status_colours_follow_statuses(charts):
    scales = [value["scale"] for key, value in walk(charts["figures"].spec)
              if key == "color" and isinstance(value, dict) and "scale" in value]
    assert scales
    assert scales[0] == {"domain": ["Realisasi", "Target", "Anggaran"],
                         "range": ["#1b6f5c", "#c2571a", "#2c5f9e"]}


def test_program_chart_compares_regions(content):
    program = content.programs["jkk"]
    city = next(f for f in content.facts if f.id == "kota-contoh-peserta-2023")
    province = replace(city, id="provinsi-contoh-peserta-2023",
                       region=content.regions["provinsi-contoh"])
    [chart] = program_chart(program, [city, province])
    assert chart.name == "comparison"
    assert chart.title == "Jaminan Kecelakaan Kerja: perbandingan antarwilayah"
    labels = [row["label"] for row in chart.spec["data"]["values"]]
    assert labels == ["Kota Contoh (2023)", "Provinsi Contoh (2023)"]
    assert chart.spec["facet"]["row"]["field"] == "metric"
    [english] = program_chart(program, [city, province], "en")
    assert [row["label"] for row in english.spec["data"]["values"]] == [
        "Example City (2023)", "Example Province (2023)"]


def test_d3_format_locale():
    assert d3_format_locale("id") == {"decimal": ",", "thousands": ".", "grouping": [3],
                                      "currency": ["Rp", ""]}
    english = d3_format_locale("en")
    assert (english["decimal"], english["thousands"]) == (".", ",")


def test_specs_are_valid_vega_lite(content, charts, vega_lite_validator):
    program = program_chart(content.programs["jkk"],
                            [f for f in content.facts if content.programs["jkk"] in f.programs])
    for chart in [*charts.values(), *program]:
        errors = [e.message for e in vega_lite_validator.iter_errors(chart.spec)]
        assert errors == [], chart.name
    assert alt.FacetChart.from_dict(charts["trends"].spec).to_dict()["spec"]["layer"]


def test_validator_rejects_a_broken_spec(charts, vega_lite_validator):
    broken = copy.deepcopy(charts["trends"].spec)
    broken["spec"]["layer"][0]["mark"]["type"] = "barr"
    assert not vega_lite_validator.is_valid(broken)


def test_figures_that_would_share_a_bar_are_told_apart(content):
    # A region's target and its realisation in the same year: on a program's chart both
    # were "Kota Contoh (2023)", one bar drawn over the other.
    from reportgen.model import Citation, Source

    city = next(f for f in content.facts if f.id == "kota-contoh-peserta-2023")
    target = replace(city, id="kota-contoh-target-peserta-2023", status="target")
    [chart] = program_chart(content.programs["jkk"], [city, target])
    labels = sorted(row["label"] for row in chart.spec["data"]["values"])
    assert labels == ["Kota Contoh (2023) · Realisasi", "Kota Contoh (2023) · Target"]
    # Two sources' figures for the same period and status: told apart by their sources;
    # alike in every way, by a number.  Labels no other shares stay as they were.
    other = Source("koran-lain", "Koran Lain", "t", "2023-05-01", [], None, None)
    second = replace(city, id="second", citations=[Citation(other, "q")])
    [chart] = region_charts(content.regions["kota-contoh"], [city, second])[:1]
    labels = [row["label"] for row in chart.spec["data"]["values"]]
    assert len(set(labels)) == 2 and any(label.endswith(" · Koran Lain, 1 Mei 2023")
                                         for label in labels), labels
    twin = replace(city, id="twin")
    [chart] = program_chart(content.programs["jkk"], [city, twin])
    assert sorted(row["label"] for row in chart.spec["data"]["values"]) == [
        "Kota Contoh (2023) (1)", "Kota Contoh (2023) (2)"]
    [chart] = program_chart(content.programs["jkk"], [city])
    assert [row["label"] for row in chart.spec["data"]["values"]] == ["Kota Contoh (2023)"]


def test_figures_chart_keeps_the_latest_of_each_metric_and_status_trends_keep_all(content):
    from reportgen.charts import latest_figures

    facts = [f for f in content.facts if f.region.id == "kota-contoh"]
    older = dataclasses.replace(facts[1], id="older", period=type(facts[1].period)("2020", 2020, 2020))
    chosen = latest_figures(facts + [older])
    assert "older" not in [f.id for f in chosen]
    assert sorted(f.id for f in chosen) == sorted(f.id for f in facts)
    charts = {c.name: c for c in region_charts(content.regions["kota-contoh"], facts + [older])}
    assert "older" in [f.id for f in charts["trends"].facts]
    assert "older" not in [f.id for f in charts["figures"].facts]


def test_subtitle_names_a_few_sources_and_counts_the_rest(content):
    from reportgen.charts import MAX_NAMED_SOURCES, _subtitle
    from reportgen.model import Citation, Source

    fact = content.facts[0]
    sources = [Source(f"s{i}", f"Penerbit {i}", "t", f"2024-01-{i + 1:02d}", [], None, None)
               for i in range(MAX_NAMED_SOURCES + 3)]
    many = dataclasses.replace(fact, citations=[Citation(s, "q") for s in sources])
    text = _subtitle([many], "id")[0]
    assert text.count("Penerbit") == MAX_NAMED_SOURCES
    assert text.endswith("dan 3 sumber lain (lihat tabel data)")


def test_program_chart_compares_provinces_only_beyond_forty_regions(content):
    from reportgen.model import Region

    fact = next(f for f in content.facts if f.region.id == "kota-contoh")
    many = []
    for i in range(45):
        kind = "province" if i < 3 else "city"
        region = Region(f"r{i}", f"Wilayah {i}", f"Region {i}", kind, "indonesia", None)
        many.append(dataclasses.replace(fact, id=f"f{i}", region=region))
    chart = program_chart(content.programs["jkk"], many)[0]
    assert sorted(f.region.id for f in chart.facts) == ["r0", "r1", "r2"]
    assert chart.title.endswith("perbandingan antarprovinsi")


# --- the static images: which fonts vl-convert measures text with ------------------------

def test_vl_convert_sees_only_the_chart_fonts_and_the_variable_is_restored(monkeypatch,
                                                                           tmp_path, charts):
    from reportgen import vega

    renderer = vega.VegaRenderer(tmp_path / "cache")
    seen = []
    real = renderer.vlc.vegalite_to_svg

    def spy(spec, **kwargs):
        seen.append(os.environ.get("FONTCONFIG_FILE"))
        return real(spec, **kwargs)

    monkeypatch.setattr(renderer, "vlc", SimpleNamespace(vegalite_to_svg=spy))
    monkeypatch.setenv("FONTCONFIG_FILE", "/etc/the-machines-own.conf")
    svg = renderer.svg(charts["figures"].spec)
    assert svg.startswith("<svg") and "<text" in svg
    assert seen == [str(vega.CHART_FONTS)]
    assert os.environ["FONTCONFIG_FILE"] == "/etc/the-machines-own.conf"
    monkeypatch.delenv("FONTCONFIG_FILE")
    renderer.svg(charts["figures"].spec, "en")
    assert len(seen) == 2 and "FONTCONFIG_FILE" not in os.environ


def test_overlapping_chart_fonts_restore_the_variable_when_the_last_one_leaves(monkeypatch):
    """The runtime's warm-up (a thread) and the first chart may be inside at once: the
    variable stays set until both are out, then is what it was before."""
    import threading

    from reportgen import vega

    monkeypatch.setenv("FONTCONFIG_FILE", "/etc/the-machines-own.conf")
    inside, leave = threading.Event(), threading.Event()

    def other_thread():
        with vega.chart_fonts():
            inside.set()
            leave.wait(5)

    thread = threading.Thread(target=other_thread)
    thread.start()
    assert inside.wait(5)
    with vega.chart_fonts():
        assert os.environ["FONTCONFIG_FILE"] == str(vega.CHART_FONTS)
    assert os.environ["FONTCONFIG_FILE"] == str(vega.CHART_FONTS)  # the other is still in
    leave.set()
    thread.join(5)
    assert os.environ["FONTCONFIG_FILE"] == "/etc/the-machines-own.conf"


def test_the_runtime_starts_in_a_thread_and_then_forking_is_refused(monkeypatch, tmp_path,
                                                                     charts):
    import multiprocessing
    import threading

    from reportgen import vega, workers

    monkeypatch.setattr(vega, "_RUNTIME_STARTED", False)
    started = []
    renderer = vega.VegaRenderer(tmp_path / "cache")
    real = renderer.vlc.vegalite_to_svg

    def spy(spec, **kwargs):
        started.append(threading.current_thread().name)
        return real(spec, **kwargs)

    monkeypatch.setattr(renderer, "vlc", SimpleNamespace(vegalite_to_svg=spy))
    assert workers.can_fork() == ("fork" in multiprocessing.get_all_start_methods())
    monkeypatch.delenv("FONTCONFIG_FILE", raising=False)
    renderer.start_runtime()
    assert vega.runtime_started() and not workers.can_fork()
    renderer.start_runtime()  # once only
    svg = renderer.svg(charts["figures"].spec)
    renderer.runtime_ready()
    assert not any(t.name == "reportgen-vl-convert" for t in threading.enumerate())
    assert "FONTCONFIG_FILE" not in os.environ
    assert started.count("reportgen-vl-convert") == 1 and "MainThread" in started
    assert svg == vega.VegaRenderer(None).svg(charts["figures"].spec)


def test_chart_fonts_are_dejavu_only_and_part_of_the_cache_key(monkeypatch, tmp_path):
    from reportgen import vega

    text = vega.CHART_FONTS.read_text(encoding="utf-8")
    body = text[text.index("<fontconfig>"):]
    assert "dejavu" in body and "<include" not in body and "liberation" not in body.lower()
    before = vega.VegaRenderer(None).version
    other = tmp_path / "fonts.conf"
    other.write_text(text.replace("</fontconfig>", "<dir>/usr/share/fonts</dir></fontconfig>"))
    monkeypatch.setattr(vega, "CHART_FONTS", other)
    assert vega.VegaRenderer(None).version != before  # cached images made anew


def test_bars_are_labelled_with_their_figures_and_carry_no_value_axis(charts, tmp_path):
    """Each bar says its figure as the text writes it; a scale of bare numbers beside
    them would add nothing (and a third of the text a static image has to measure)."""
    from reportgen.vega import VegaRenderer

    figures = charts["figures"]
    bars, labels = figures.spec["spec"]["layer"]
    assert bars["encoding"]["x"]["axis"] is None
    assert labels["mark"]["type"] == "text" and labels["encoding"]["text"]["field"] == "figure"
    svg = VegaRenderer(None).svg(figures.spec, "id")
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    for row in figures.spec["data"]["values"]:
        assert row["figure"] in texts
    assert "1.000.000.000" not in texts and "2.000" not in texts  # no tick labels
    # The time series keeps its value axis: points over periods need a scale.
    trend_svg = VegaRenderer(None).svg(charts["trends"].spec, "id")
    assert any(re.fullmatch(r"[\d.]+", t) and "." in t
               for t in re.findall(r"<text[^>]*>([^<]*)</text>", trend_svg))


def test_static_images_leave_out_tooltips_and_aria_and_look_the_same(charts):
    """The image (an ``<img>``, and in print) is drawn without the live chart's tooltips
    and ARIA attributes, which nothing reads there: the same pixels in a smaller file.
    The live chart's spec keeps them, and the data's rows are not touched."""
    import vl_convert

    from reportgen.pdf import print_spec
    from reportgen.vega import VegaRenderer, chart_fonts, image_spec

    renderer = VegaRenderer(None)
    for chart in [*charts.values(), *(SimpleNamespace(name=f"{c.name} (print)",
                                                      spec=print_spec(c.spec))
                                      for c in charts.values())]:
        spec = copy.deepcopy(chart.spec)
        image = image_spec(spec)
        assert spec == chart.spec  # (not changed in place)
        assert [key for key, _ in walk(image) if key == "tooltip"] == []
        assert image["config"]["aria"] is False
        assert image["data"] == spec["data"]
        svg = renderer.svg(spec, "id")
        labelled = re.findall(r'class="([^"]*)"[^>]*aria-label=', svg)
        assert all("role-title" in kind for kind in labelled)  # (Vega keeps the titles')
        with chart_fonts():
            full = vl_convert.vegalite_to_svg(spec, format_locale=d3_format_locale("id"))
            same = vl_convert.svg_to_png(svg) == vl_convert.svg_to_png(full)
        assert len(re.findall("aria-label=", full)) > len(labelled) + 5
        assert len(svg) < 0.9 * len(full)
        assert same, chart.name
    rows = {"data": {"values": [{"tooltip": "a row's own field"}]}, "mark": "point"}
    assert image_spec(rows)["data"] == rows["data"]


def test_bar_labels_are_never_cut_short(content, tmp_path):
    """A program's chart names each bar's region and period; Vega's default limit cut
    "Papua Barat dan Papua Barat Daya (2024)" to "Papua Barat dan Papua Barat Da…", on
    the site and in print (where the report's font is wider)."""
    from reportgen.pdf import print_spec
    from reportgen.vega import VegaRenderer

    program = content.programs["jkk"]
    city = next(f for f in content.facts if f.id == "kota-contoh-peserta-2023")
    long_name = "Kabupaten Kepulauan Siau Tagulandang Biaro dan Sekitarnya"
    region = replace(content.regions["provinsi-contoh"], name=long_name)
    far = replace(city, id="provinsi-contoh-peserta-2023", region=region)
    [chart] = program_chart(program, [city, far])
    renderer = VegaRenderer(None)
    for spec in (chart.spec, print_spec(chart.spec)):
        texts = re.findall(r"<text[^>]*>([^<]*)</text>", renderer.svg(spec, "id"))
        assert f"{long_name} (2023)" in texts
        assert not any("…" in text for text in texts)


def test_no_axis_or_legend_label_is_cut_short(content):
    """Every kind of chart sets no limit on its axes' and legends' labels (Vega's default
    is 180 pixels), in both languages: the periods of a time series and the statuses of a
    legend are shown whole too."""
    region = content.regions["kota-contoh"]
    facts = [f for f in content.facts if f.region is region]
    for locale in ("id", "en"):
        charts = region_charts(region, facts, locale)
        assert {c.name for c in charts} == {"figures", "trends"}
        for chart in charts:
            config = chart.spec["config"]
            assert config["axis"]["labelLimit"] == 0, chart.name
            assert config["legend"]["labelLimit"] == 0, chart.name
