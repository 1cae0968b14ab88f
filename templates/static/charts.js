// Starts the interactive charts. Each <figure class="chart"> carries its Vega-Lite spec
// in a JSON block; vega-embed (from the site's own bundle) draws it, and the static SVG
// stays as the fallback when JavaScript or the bundle is missing (and for print).
// Charts are made about 700 px wide; in a narrower figure (a phone) the live chart is
// drawn with narrower panels, titles cut to the figure's width (the caption under the
// chart names every source) and the legend in rows, so its text keeps its real size
// instead of the whole image being scaled down.
(function () {
  "use strict";
  var FULL_WIDTH = 700;   // px: a figure this wide takes the chart as it was made
  var LABEL_ROOM = 190;   // px beside a panel: axis labels left, figure labels right
  var MIN_PANEL = 120;    // px: the narrowest panel still worth drawing

  // The spec, changed in place to fit a figure *available* px wide.
  function fitToWidth(spec, available) {
    var inner = spec.spec || spec; // a faceted chart sizes its panels
    if (typeof inner.width === "number") {
      inner.width = Math.max(MIN_PANEL, Math.min(inner.width, available - LABEL_ROOM));
    }
    // The title leaves room for the chart menu's button at the top right.
    if (spec.title) { spec.title.limit = Math.max(MIN_PANEL, available - 48); }
    spec.config = spec.config || {};
    spec.config.legend = Object.assign({}, spec.config.legend, { columns: 2 });
  }
  if (typeof window.vegaEmbed !== "function") { return; }
  var localeBlock = document.getElementById("chart-locale");
  var formatLocale = localeBlock ? JSON.parse(localeBlock.textContent) : undefined;
  // The menu's words, in the page's language (from the message catalog, see base.html).
  var stringsBlock = document.getElementById("chart-strings");
  var words = stringsBlock ? JSON.parse(stringsBlock.textContent) : {};
  var figures = document.querySelectorAll("figure.chart");
  Array.prototype.forEach.call(figures, function (figure) {
    var specBlock = figure.querySelector("script.chart-spec");
    var target = figure.querySelector(".chart-live");
    if (!specBlock || !target) { return; }
    var spec = JSON.parse(specBlock.textContent);
    var available = figure.clientWidth - 24; // less the figure's padding
    if (available < FULL_WIDTH) { fitToWidth(spec, available); }
    window.vegaEmbed(target, spec, {
      renderer: "svg",
      // The pages' Content-Security-Policy allows no eval and no inline styles: Vega
      // evaluates expressions with its interpreter, and the styles vega-embed and
      // vega-tooltip would inject as <style> elements come from static/charts.css.
      ast: true,
      defaultStyle: false,
      forceActionsMenu: true,
      tooltip: { disableDefaultStyle: true },
      formatLocale: formatLocale,
      actions: { export: true, source: false, compiled: false, editor: false },
      i18n: { CLICK_TO_VIEW_ACTIONS: words.menu, PNG_ACTION: words.png,
              SVG_ACTION: words.svg }
    }).then(function () {
      // The actions menu opens from a <summary> that holds only an icon: name it.
      var menu = target.querySelector("details > summary");
      if (menu) { menu.setAttribute("aria-label", words.menu_label); }
      figure.classList.add("is-live");
    }).catch(function (error) {
      if (window.console) { window.console.warn("chart kept static:", error); }
    });
  });
})();
