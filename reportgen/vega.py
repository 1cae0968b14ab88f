"""Static chart images and the offline chart bundle, both made with vl-convert.

vl-convert renders a Vega-Lite spec to SVG without a browser, and makes the one
JavaScript file (Vega, Vega-Lite, vega-embed) the site serves itself, so pages load
nothing from other hosts.  Both are slow to make and depend only on their inputs, so
both are cached on disk, keyed by what they are made from.

vl-convert measures chart text with the fonts it finds through fontconfig's
configuration: left alone, every font installed on the machine, whose files it opens
again for each label it measures (about two thirds of the time of a chart, most of it in
the kernel).  Each call into it is therefore made with ``FONTCONFIG_FILE`` naming
:data:`CHART_FONTS`, which lists DejaVu Sans only (vl-convert adds its own Liberation
Sans): charts render about three times faster and come out the same on every machine,
whatever else is installed.  The variable is set only for the length of a call, so
WeasyPrint (whose fontconfig reads it once, when it starts) still sees the machine's own
configuration.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from .cachetidy import mark_used, write_entry
from .charts import d3_format_locale
from .errors import BuildError


CHART_FONTS = Path(__file__).with_name("chart-fonts.conf")
"""The fontconfig configuration vl-convert is given: the fonts charts are measured with."""

_RUNTIME_STARTED = False
"""Whether this process has called into vl-convert (whose runtime runs threads)."""


def runtime_started() -> bool:
    """True once vl-convert has run here: forking this process is no longer safe."""
    return _RUNTIME_STARTED


def default_cache_dir() -> Path:
    """``$REPORTGEN_CACHE`` if set, else ``.cache/reportgen`` in the working folder."""
    return Path(os.environ.get("REPORTGEN_CACHE") or ".cache/reportgen")


class VegaRenderer:
    """Renders chart SVGs and the JavaScript bundle, through an on-disk cache; with a
    *worker* (:class:`ChartWorker`), vl-convert runs in that process, not in this one."""

    def __init__(self, cache_dir: Path | None, worker: "ChartWorker | None" = None):
        import vl_convert  # heavy: imported only when a build needs charts

        self.vlc = vl_convert
        self.cache_dir = cache_dir
        self.worker = worker
        self._starting: threading.Thread | None = None  # the runtime's warm-up
        # What the output depends on besides the spec: the versions and the chart fonts.
        self.version = "vl-convert {} vega {} vega-embed {} fonts {}".format(
            getattr(vl_convert, "__version__", "?"), vl_convert.get_vega_version(),
            vl_convert.get_vega_embed_version(),
            hashlib.sha256(CHART_FONTS.read_bytes()).hexdigest()[:16])

    def _convert(self, name: str, *args, **kwargs) -> str:
        """``vl_convert.<name>(*args, **kwargs)``, here or in the worker."""
        global _RUNTIME_STARTED
        if self.worker is not None:
            return self.worker.convert(name, *args, **kwargs)
        _RUNTIME_STARTED = True
        with chart_fonts():
            return getattr(self.vlc, name)(*args, **kwargs)

    def _cached(self, kind: str, key_material: str, make) -> tuple[str, str]:
        """(the entry's name in the cache folder *kind*, its text): read, or made."""
        key = hashlib.sha256(f"{self.version}\n{key_material}".encode()).hexdigest()
        if self.cache_dir is None:
            return key, make()
        path = self.cache_dir / kind / f"{key[:2]}/{key}"
        try:
            text = path.read_text(encoding="utf-8")
            mark_used(path)
            return key, text
        except FileNotFoundError:
            pass
        text = make()
        write_entry(path, text.encode("utf-8"))
        return key, text

    def start_runtime(self) -> None:
        """Start vl-convert's runtime (about two thirds of a second) in a thread of its
        own, while this process goes on with other work: vl-convert lets go of Python
        while it works.  From now on this process may not fork (:func:`runtime_started`).
        :meth:`runtime_ready` waits for it."""
        global _RUNTIME_STARTED
        if _RUNTIME_STARTED:
            return
        _RUNTIME_STARTED = True
        self._starting = threading.Thread(target=self._warm_up, name="reportgen-vl-convert")
        self._starting.start()

    def runtime_ready(self) -> None:
        """Wait until the runtime started by :meth:`start_runtime` is up.  Called before
        anything that reads the environment (which the warm-up changes meanwhile: see
        :func:`chart_fonts`) other than through :func:`environment_outside_charts`, or
        forks this process."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None

    def _warm_up(self) -> None:
        with chart_fonts():
            self.vlc.vegalite_to_svg(_WARM_UP_SPEC)

    def svg(self, spec: dict, locale: str = "id") -> str:
        """The chart as a static SVG image."""
        return self.svg_entry(spec, locale)[1]

    def svg_entry(self, spec: dict, locale: str = "id") -> tuple[str, str]:
        """(the name of the image's entry in the cache's ``svg/``, the image): drawn from
        :func:`image_spec` of *spec*."""
        image = image_spec(spec)
        material = json.dumps([image, locale], sort_keys=True)
        return self._cached("svg", material, lambda: self._convert(
            "vegalite_to_svg", image, format_locale=d3_format_locale(locale)))

    def javascript_bundle(self) -> str:
        """Vega, Vega-Lite and vega-embed in one self-contained script."""
        return self._cached("js", "bundle", lambda: self._convert("javascript_bundle"))[1]


def image_spec(spec: dict) -> dict:
    """*spec* as drawn for a static image: without its tooltips and ARIA attributes.  The
    image is shown through ``<img>`` (its ``alt`` is the chart's description) and in
    print, where neither is read; the live chart drawn from the same spec in the page
    keeps both.  The image looks the same, pixel for pixel, and is about half the size
    (a region's chart: 38 KB instead of 62 KB).  The data's rows are left as they are.
    (Vega-Lite groups an aggregate by its tooltip fields too: a chart that aggregates in
    its encoding would need its tooltips kept here.  reportgen's charts do not.)"""
    return {**_without_tooltips(spec), "config": {**spec.get("config", {}), "aria": False}}


def _without_tooltips(node):
    if isinstance(node, dict):
        return {key: value if key in ("data", "datasets") else _without_tooltips(value)
                for key, value in node.items() if key != "tooltip"}
    if isinstance(node, list):
        return [_without_tooltips(item) for item in node]
    return node


class ChartWorker:
    """vl-convert in a process of its own, for a process that goes on from build to
    build (``reportgen serve``): once vl-convert has run in a process, that process may
    no longer fork page workers (its runtime runs threads), which a large rebuild needs.
    Started (forked) before anything here has run vl-convert; the worker keeps its
    runtime warm between builds.  Calls are one at a time; use as a context manager."""

    def __init__(self):
        if runtime_started():  # its threads would not be in the worker: it would hang
            raise RuntimeError("a chart worker must start before vl-convert runs here")
        context = multiprocessing.get_context("fork")
        self._connection, theirs = context.Pipe()
        self._process = context.Process(target=_convert_on_request,
                                        args=(theirs, self._connection),
                                        name="reportgen-charts", daemon=True)
        self._process.start()
        theirs.close()
        self._lock = threading.Lock()
        self._unanswered = 0  # warm-ups sent, their answers not read yet

    def __enter__(self) -> "ChartWorker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def warm_up(self) -> None:
        """Have vl-convert start its runtime (0.7 s) now, without waiting for it: the
        first chart asked for then waits less, or not at all."""
        with self._lock:
            try:
                self._connection.send(("vegalite_to_svg", (_WARM_UP_SPEC,), {}))
            except OSError:
                return  # (gone: convert says so)
            self._unanswered += 1

    def convert(self, name: str, *args, **kwargs) -> str:
        with self._lock:
            try:
                while self._unanswered:  # the warm-up's answer comes first
                    self._connection.recv()
                    self._unanswered -= 1
                self._connection.send((name, args, kwargs))
                done, value = self._connection.recv()
            except (OSError, EOFError):
                raise BuildError("the chart process has stopped; start reportgen serve "
                                 "again") from None
        if not done:
            raise BuildError(f"vl-convert could not make a chart: {value}")
        return value

    def close(self, wait: bool = True) -> None:
        """Stop the worker: when it is done with what it was asked, or (not *wait*) at
        once, whatever it is doing."""
        if not wait:
            self._process.terminate()
        with self._lock:
            try:
                self._connection.send(None)
            except OSError:
                pass
            self._connection.close()
        self._process.join(5)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(5)


def _convert_on_request(connection, parents_end) -> None:
    """The chart worker's loop: (name, args, kwargs) in, (True, text) or (False, what
    went wrong) out, until None or until the other end is gone.  Ctrl-C is for the
    process that started it, which stops this one."""
    import signal

    import vl_convert

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parents_end.close()  # (inherited): else the pipe would outlive the parent
    while True:
        try:
            request = connection.recv()
        except (EOFError, OSError):
            return
        if request is None:
            return
        name, args, kwargs = request
        try:
            with chart_fonts():
                connection.send((True, getattr(vl_convert, name)(*args, **kwargs)))
        except Exception as exc:  # noqa: BLE001 - sent back, raised there as BuildError
            connection.send((False, f"{type(exc).__name__}: {exc}"))


_WARM_UP_ROWS = [
    {"m": "a", "y": "2024 · a", "low": 1000, "high": 1500, "mid": 1250, "s": "a", "f": "1.000–1.500"},
    {"m": "b", "y": "2023 · b", "low": 7, "high": 7, "mid": 7, "s": "b", "f": "7%"}]
_WARM_UP_SPEC = {
    "data": {"values": _WARM_UP_ROWS},
    "title": {"text": "-", "subtitle": ["-"], "anchor": "start"},
    "facet": {"row": {"field": "m", "type": "nominal", "title": None,
                      "header": {"labelAngle": 0, "labelOrient": "top"}}},
    "spec": {"width": 200, "layer": [
        {"mark": "bar", "encoding": {
            "y": {"field": "y", "type": "nominal", "title": None},
            "x": {"field": "low", "type": "quantitative", "axis": None}, "x2": {"field": "high"},
            "color": {"field": "s", "type": "nominal",
                      "legend": {"orient": "bottom", "title": None}}}},
        {"mark": {"type": "text", "align": "left", "dx": 4}, "encoding": {
            "y": {"field": "y", "type": "nominal"}, "x": {"field": "high", "type": "quantitative"},
            "text": {"field": "f", "type": "nominal"}}},
        {"mark": "line", "encoding": {
            "y": {"field": "y", "type": "nominal"},
            "x": {"field": "mid", "type": "quantitative", "axis": {"format": ",.0f"}}}},
        {"mark": {"type": "point", "filled": True}, "encoding": {
            "y": {"field": "y", "type": "nominal"}, "x": {"field": "mid", "type": "quantitative"},
            "color": {"field": "s", "type": "nominal"}}}]},
    "resolve": {"scale": {"x": "independent", "y": "independent"}},
}
"""What vl-convert draws first, to start its runtime: a small chart with what the site's
charts have (panels, bars, labels, a line, points, a legend, a title, a formatted axis),
so that the runtime has compiled the code they run before the first is asked for (the
first real chart then takes a third less time)."""


_FONTS_LOCK = threading.Lock()
_fonts_users = 0  # threads within chart_fonts()
_fonts_before: str | None = None  # FONTCONFIG_FILE before the first of them


def environment_outside_charts() -> dict[str, str]:
    """A copy of this process's environment as it is outside :func:`chart_fonts`, taken
    while no thread changes it: for a process started while a thread draws charts."""
    with _FONTS_LOCK:
        environment = dict(os.environ)
        if _fonts_users:
            environment.pop("FONTCONFIG_FILE", None)
            if _fonts_before is not None:
                environment["FONTCONFIG_FILE"] = _fonts_before
    return environment


@contextmanager
def chart_fonts():
    """Within: fontconfig's configuration for this process is :data:`CHART_FONTS`.  The
    first thread in sets it and the last one out puts back what was there before (the
    runtime's warm-up and the first chart can overlap)."""
    global _fonts_users, _fonts_before
    with _FONTS_LOCK:
        if not _fonts_users:
            _fonts_before = os.environ.get("FONTCONFIG_FILE")
            os.environ["FONTCONFIG_FILE"] = str(CHART_FONTS)
        _fonts_users += 1
    try:
        yield
    finally:
        with _FONTS_LOCK:
            _fonts_users -= 1
            if not _fonts_users:
                if _fonts_before is None:
                    os.environ.pop("FONTCONFIG_FILE", None)
                else:
                    os.environ["FONTCONFIG_FILE"] = _fonts_before
