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
import os
import threading
from contextlib import contextmanager
from pathlib import Path

from .charts import d3_format_locale


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
    """Renders chart SVGs and the JavaScript bundle, through an on-disk cache."""

    def __init__(self, cache_dir: Path | None):
        import vl_convert  # heavy: imported only when a build needs charts

        self.vlc = vl_convert
        self.cache_dir = cache_dir
        self._starting: threading.Thread | None = None  # the runtime's warm-up
        # What the output depends on besides the spec: the versions and the chart fonts.
        self.version = "vl-convert {} vega {} vega-embed {} fonts {}".format(
            getattr(vl_convert, "__version__", "?"), vl_convert.get_vega_version(),
            vl_convert.get_vega_embed_version(),
            hashlib.sha256(CHART_FONTS.read_bytes()).hexdigest()[:16])

    def _cached(self, kind: str, key_material: str, make) -> str:
        global _RUNTIME_STARTED
        if self.cache_dir is None:
            _RUNTIME_STARTED = True
            with chart_fonts():
                return make()
        key = hashlib.sha256(f"{self.version}\n{key_material}".encode()).hexdigest()
        path = self.cache_dir / kind / f"{key[:2]}/{key}"
        if path.is_file():
            return path.read_text(encoding="utf-8")
        _RUNTIME_STARTED = True
        with chart_fonts():
            text = make()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".tmp{os.getpid()}")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        return text

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
        :func:`chart_fonts`) or starts a process."""
        if self._starting is not None:
            self._starting.join()
            self._starting = None

    def _warm_up(self) -> None:
        with chart_fonts():
            self.vlc.vegalite_to_svg(_WARM_UP_SPEC)

    def svg(self, spec: dict, locale: str = "id") -> str:
        """The chart as a static SVG image."""
        material = json.dumps([spec, locale], sort_keys=True)
        return self._cached("svg", material, lambda: self.vlc.vegalite_to_svg(
            spec, format_locale=d3_format_locale(locale)))

    def javascript_bundle(self) -> str:
        """Vega, Vega-Lite and vega-embed in one self-contained script."""
        return self._cached("js", "bundle", lambda: self.vlc.javascript_bundle())


_WARM_UP_SPEC = {"data": {"values": [{"x": 1}]}, "mark": "point",
                 "encoding": {"x": {"field": "x", "type": "quantitative"}}}
"""A chart with one point and an axis: its text starts vl-convert's text measuring too."""


_FONTS_LOCK = threading.Lock()
_fonts_users = 0  # threads within chart_fonts()
_fonts_before: str | None = None  # FONTCONFIG_FILE before the first of them


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
