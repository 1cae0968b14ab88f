"""Charts as Vega-Lite specs, built with Altair: pure functions of the model, no I/O.

Altair is imported inside the functions that build chart templates, so commands that
make no chart (check, an unchanged rebuild) do not pay for importing it.

Every chart carries its citation inside the spec (a subtitle naming its sources, and
the sources in each mark's tooltip), so an exported or printed chart still says where
its figures come from.  (The static image is drawn without the tooltips, which nothing
reads in an image: its subtitle names the sources; see :func:`reportgen.vega.image_spec`.)
Ranges are drawn as ranges (a bar from low to high with end ticks), and each status has
its own colour so actual figures and targets are told apart.

Specs use no selection parameters, so Altair's global counters never name anything in
them and the same content always gives the same spec.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from babel.dates import format_date
from babel.numbers import get_decimal_symbol, get_group_symbol

from .i18n import localized, translator
from .model import STATUSES, Fact, Region
from .numbers import describe_value

STATUS_COLOURS = {
    "actual": "#1b6f5c",
    "target": "#c2571a",
    "plan": "#7a4fa3",
    "budget": "#2c5f9e",
    "benefit": "#6b6b6b",
}
"""One colour per status; chosen to stay apart for common colour-vision deficiencies."""

CHART_WIDTH = 440

_NUMBER_AXIS = {"format": ",.0f", "tickCount": 4, "labelFlush": True}
"""Whole numbers with the locale's grouping (2.200.000.000 in Indonesian)."""


@dataclass
class Chart:
    """One chart of a page: its spec, what it shows, and the facts behind it."""

    name: str  # unique within its page; used for file names and ids
    title: str
    description: str  # text alternative, one sentence
    spec: dict
    facts: list[Fact]

    @property
    def sources(self):
        seen = {}
        for fact in self.facts:
            for citation in fact.citations:
                seen.setdefault(citation.source.id, citation.source)
        return sorted(seen.values(), key=lambda s: (s.date, s.id))


def source_label(source, locale: str = "id") -> str:
    """'Publisher, 26 Februari 2024': how a chart names a source."""
    return f"{source.publisher}, {format_source_date(source.date, locale)}"


@lru_cache(maxsize=4096)
def format_source_date(date: str, locale: str = "id") -> str:
    """An ISO date as precise as known, written out: '2024', 'Februari 2024', '26 Februari 2024'."""
    import datetime

    parts = [int(p) for p in date.split("-")]
    if len(parts) == 1:
        return str(parts[0])
    if len(parts) == 2:
        return format_date(datetime.date(parts[0], parts[1], 1), "MMMM y", locale=locale)
    return format_date(datetime.date(*parts), "d MMMM y", locale=locale)


def d3_format_locale(locale: str = "id") -> dict:
    """The d3-format locale (for Vega) built from Babel's data, so charts match the text."""
    return {
        "decimal": get_decimal_symbol(locale),
        "thousands": get_group_symbol(locale),
        "grouping": [3],
        "currency": ["Rp", ""] if locale == "id" else ["IDR ", ""],
    }


def _rows(facts: list[Fact], label, locale: str) -> list[dict]:
    return _distinct_labels(_made_rows(facts, label, locale))


def _distinct_labels(rows: list[dict]) -> list[dict]:
    """The rows, none sharing its label with another of its panel (metric): a bar is
    placed by its label, so two alike would be drawn over each other (a region's target
    and its realisation in the same year, on a program's chart; two sources' figures for
    the same period and status).  Alike labels are told apart by the status, then by the
    sources, then by a number."""
    for told_by in ("status", "sources", None):
        alike: dict[tuple[str, str], list[dict]] = {}
        for row in rows:
            alike.setdefault((row["metric"], row["label"]), []).append(row)
        for group in alike.values():
            if len(group) == 1 or (told_by and len({row[told_by] for row in group}) == 1):
                continue
            for number, row in enumerate(group, 1):
                row["label"] += f" · {row[told_by]}" if told_by else f" ({number})"
    return rows


def _made_rows(facts: list[Fact], label, locale: str) -> list[dict]:
    rows = []
    for fact in facts:
        status = STATUSES[fact.status]
        rows.append({
            "fact": fact.id,
            "metric": localized(fact.metric, "label", locale),
            "label": label(fact),
            "period": fact.period.text,
            "order": fact.period.start_year,
            "low": fact.value.low,
            "high": fact.value.high,
            "point": None if fact.value.is_range else fact.value.low,
            "figure": describe_value(fact.value, fact.unit, fact.qualifier, locale),
            "status": localized(status, "label", locale),
            "sources": "; ".join(source_label(c.source, locale) for c in fact.citations),
        })
    return rows


_DOMAIN, _RANGE = "__status_domain__", "__status_range__"
"""Placeholders in a chart template, replaced by the statuses a chart actually shows."""


def _status_colour():
    import altair as alt  # heavy: imported only when a chart is made

    return alt.Color("status:N", scale=alt.Scale(domain=[_DOMAIN], range=[_RANGE]),
                     legend=alt.Legend(title=None, orient="bottom"))


def _fill(template: dict, rows: list[dict], title: str, subtitle: list[str],
          facts: list[Fact], locale: str) -> dict:
    """A chart spec from its template: data, titles and the status colours filled in."""
    used = [s for s in STATUSES if any(f.status == s for f in facts)]
    domain = [localized(STATUSES[s], "label", locale) for s in used]
    colours = [STATUS_COLOURS[s] for s in used]

    def substitute(node):
        if isinstance(node, dict):
            return {key: substitute(value) for key, value in node.items()}
        if isinstance(node, list):
            if node == [_DOMAIN]:
                return list(domain)
            if node == [_RANGE]:
                return list(colours)
            return [substitute(item) for item in node]
        return node

    spec = substitute(template)
    spec["data"] = {"values": rows}
    spec["title"] = {**spec["title"], "text": title, "subtitle": subtitle}
    spec["usermeta"] = {"facts": [f.id for f in facts]}
    return spec


def _tooltip(locale: str, with_region: bool = False) -> list:
    import altair as alt  # heavy: imported only when a chart is made

    _ = translator(locale)
    words = (_("Indikator"), _("Angka"), _("Periode"), _("Status"), _("Sumber"), _("Keterangan"))
    fields = [alt.Tooltip("metric:N", title=words[0]), alt.Tooltip("figure:N", title=words[1]),
              alt.Tooltip("period:N", title=words[2]), alt.Tooltip("status:N", title=words[3]),
              alt.Tooltip("sources:N", title=words[4])]
    if with_region:
        fields.insert(0, alt.Tooltip("label:N", title=words[5]))
    return fields


MAX_NAMED_SOURCES = 4
"""A chart's subtitle names this many sources; the rest are counted (all are in its table)."""


def _subtitle(facts: list[Fact], locale: str) -> list[str]:
    _ = translator(locale)
    sources = Chart("", "", "", {}, facts).sources
    named = "; ".join(source_label(s, locale) for s in sources[:MAX_NAMED_SOURCES])
    rest = len(sources) - MAX_NAMED_SOURCES
    if rest > 0:
        named = _("{sources} dan {count} sumber lain (lihat tabel data)").format(
            sources=named, count=rest)
    return [_("Sumber: {sources}").format(sources=named)]


def _template(chart) -> dict:
    """The finished spec of a chart without its data and titles (filled in by _fill).

    No label of an axis or a legend is ever cut short (labelLimit 0): a bar's label says
    whose figure it is, and "Papua Barat dan Papua Barat Da…" could be either of two
    regions; the chart is as wide as its longest label needs.  (Vega's default limit
    also has it measure every label twice, to see whether it fits: a static image takes
    longer to draw, the time being in measuring text.)"""
    import altair as alt  # heavy: imported only when a chart is made

    return chart.properties(
        title=alt.TitleParams("", subtitle=[""], anchor="start", subtitleColor="#4a4a4a",
                              fontSize=14, subtitleFontSize=11)
    ).configure_view(stroke=None).configure_axis(labelFontSize=11, titleFontSize=11,
                                                 labelLimit=0
    ).configure_legend(labelLimit=0).to_dict(validate=False)


def _metric_rows():
    """One panel per metric, each with its own scale (metrics have different units)."""
    import altair as alt  # heavy: imported only when a chart is made

    return alt.Row("metric:N", title=None, header=alt.Header(
        labelAngle=0, labelAlign="left", labelAnchor="start", labelOrient="top",
        labelFontWeight="bold", labelFontSize=12))


# Altair builds each kind of chart once per language; every chart is then that template
# with its own data.  Building a chart through Altair each time would copy its data
# through every layer and cost more than rendering it.  A build keeps the templates in
# its cache (chart_templates, use_chart_templates), so that a small rebuild need not
# import Altair at all (half a second) nor build them (a sixth more).

_TEMPLATES: dict[tuple[str, str], dict] = {}  # (kind, locale) -> template


def chart_templates(locale: str) -> dict[str, dict]:
    """The template of each kind of chart in *locale* (JSON data), made with Altair."""
    return {kind: _template_of(kind, locale) for kind in _MAKERS}


def use_chart_templates(locale: str, templates: dict[str, dict]) -> None:
    """Make charts in *locale* from *templates*, as :func:`chart_templates` gave them
    (kept by an earlier process of the same code and libraries), not with Altair."""
    for kind in _MAKERS:
        _TEMPLATES[kind, locale] = templates[kind]


def _template_of(kind: str, locale: str) -> dict:
    template = _TEMPLATES.get((kind, locale))
    if template is None:
        template = _TEMPLATES[kind, locale] = _MAKERS[kind](locale)
    return template


def _bars_template(locale: str) -> dict:
    import altair as alt  # heavy: imported only when a chart is made

    y = alt.Y("label:N", title=None, sort=alt.EncodingSortField("order"))
    base = alt.Chart(alt.Data(name="facts")).encode(y=y, tooltip=_tooltip(locale, True))
    is_range = "datum.point === null"
    # No value axis: every bar is labelled with its figure, as written in the text (a
    # scale of bare numbers adds nothing to that, and its labels are a third of the text
    # a static image measures, so of the time it takes).
    bars = base.mark_bar().encode(
        x=alt.X("start:Q", title=None, axis=None), x2="high:Q",
        color=_status_colour(),
        opacity=alt.condition(is_range, alt.value(0.6), alt.value(1.0)),
        size=alt.condition(is_range, alt.value(7), alt.value(14)))
    labels = base.mark_text(align="left", dx=4, color="#222").encode(x="high:Q", text="figure:N")
    return _template(alt.layer(bars, labels).transform_calculate(
        start=f"{is_range} ? datum.low : 0").properties(width=CHART_WIDTH).facet(
        row=_metric_rows()).resolve_scale(x="independent", y="independent"))


def _series_template(locale: str) -> dict:
    import altair as alt  # heavy: imported only when a chart is made

    x = alt.X("period:O", title=None, sort=alt.EncodingSortField("order"),
              axis=alt.Axis(labelAngle=0))
    base = alt.Chart(alt.Data(name="facts")).encode(x=x, tooltip=_tooltip(locale))
    line = base.mark_line(color="#888", strokeDash=[4, 3]).encode(
        y=alt.Y("mid:Q", title=None, axis=alt.Axis(**_NUMBER_AXIS)))
    spans = base.mark_rule(strokeWidth=3).encode(y="low:Q", y2="high:Q", color=_status_colour())
    dots = base.mark_point(filled=True, size=60, opacity=1).encode(y="mid:Q",
                                                                   color=_status_colour())
    return _template(alt.layer(line, spans, dots).transform_calculate(
        mid="(datum.low + datum.high) / 2").properties(width=CHART_WIDTH, height=140).facet(
        row=_metric_rows()).resolve_scale(y="independent"))


_MAKERS = {"bars": _bars_template, "series": _series_template}


def figure_bars(facts: list[Fact], label, title: str, locale: str = "id") -> dict:
    """Horizontal bars, a panel per metric: a figure is a bar from zero, a range a thinner,
    lighter bar from its low to its high end, both labelled with the formatted figure."""
    return _fill(_template_of("bars", locale), _rows(facts, label, locale), title,
                 _subtitle(facts, locale), facts, locale)


def time_series(facts: list[Fact], title: str, locale: str = "id") -> dict:
    """Figures over their periods, a panel per metric: a dashed line through the figures,
    ranges as vertical bars from low to high."""
    return _fill(_template_of("series", locale), _rows(facts, lambda f: f.period.text, locale),
                 title, _subtitle(facts, locale), facts, locale)


def latest_figures(facts: list[Fact]) -> list[Fact]:
    """The most recent figure of each metric and status (ties: every fact of that period)."""
    newest: dict[tuple[str, str], tuple] = {}
    for fact in facts:
        key = (fact.metric.id, fact.status)
        newest[key] = max(newest.get(key, fact.period.sort_key), fact.period.sort_key)
    return [f for f in facts if f.period.sort_key == newest[(f.metric.id, f.status)]]


def region_charts(region: Region, facts: list[Fact], locale: str = "id") -> list[Chart]:
    """A region's charts: its latest figure of each kind by metric, and the metrics that
    have figures for several periods, over time."""
    if not facts:
        return []
    _ = translator(locale)
    name = localized(region, "name", locale)
    status = lambda f: localized(STATUSES[f.status], "label", locale)  # noqa: E731
    title = _("Angka terbaru {name} menurut indikator").format(name=name)
    latest = latest_figures(facts)
    charts = [Chart("figures", title, _describe(title, latest, locale),
                    figure_bars(latest, lambda f: f"{f.period.text} · {status(f)}", title,
                                locale), latest)]
    periods: dict[str, set[str]] = {}
    for fact in facts:
        periods.setdefault(fact.metric.id, set()).add(fact.period.text)
    over_time = [f for f in facts if len(periods[f.metric.id]) > 1]
    if over_time:
        title = _("Angka {name} menurut tahun").format(name=name)
        over_time = sorted(over_time, key=lambda f: (f.metric.id, f.period.sort_key, f.id))
        charts.append(Chart("trends", title, _describe(title, over_time, locale),
                            time_series(over_time, title, locale), over_time))
    return charts


MAX_COMPARED_REGIONS = 40
"""A program chart compares every region up to this many; beyond, the provinces only
(a chart of hundreds of regencies would be neither readable nor quick to draw)."""


def compares_provinces_only(facts: list[Fact]) -> bool:
    """Whether a program's chart of *facts* compares the provinces only (at national
    scale: more than :data:`MAX_COMPARED_REGIONS` regions)."""
    return len({f.region.id for f in facts}) > MAX_COMPARED_REGIONS


def program_chart_facts(facts: list[Fact]) -> list[Fact]:
    """The facts a program's chart of *facts* is drawn from."""
    if compares_provinces_only(facts):
        return [f for f in facts if f.region.kind in ("country", "area", "province")]
    return facts


def program_chart(program, facts: list[Fact], locale: str = "id") -> list[Chart]:
    """A program's chart: each region's latest figures for it, compared, panel per metric."""
    if not facts:
        return []
    _ = translator(locale)
    name = localized(program, "name", locale)
    title = _("{name}: perbandingan antarwilayah").format(name=name)
    label = lambda f: f"{localized(f.region, 'name', locale)} ({f.period.text})"  # noqa: E731
    if compares_provinces_only(facts):
        title = _("{name}: perbandingan antarprovinsi").format(name=name)
    by_region = _by_region(program_chart_facts(facts))
    newest = [f for region_facts in by_region.values() for f in latest_figures(region_facts)]
    if not newest:
        return []
    return [Chart("comparison", title, _describe(title, newest, locale),
                  figure_bars(newest, label, title, locale), newest)]


def _by_region(facts: list[Fact]) -> dict[str, list[Fact]]:
    grouped: dict[str, list[Fact]] = {}
    for fact in facts:
        grouped.setdefault(fact.region.id, []).append(fact)
    return grouped


def _describe(title: str, facts: list[Fact], locale: str) -> str:
    """One-sentence text alternative; the full data follow as a table on the page."""
    _ = translator(locale)
    return _("{title}: {count} angka; datanya ada pada tabel di bawah grafik.").format(
        title=title, count=len(facts))
