// Starts the interactive charts. Each <figure class="chart"> carries its Vega-Lite spec
// in a JSON block; vega-embed (from the site's own bundle) draws it, and the static SVG
// stays as the fallback when JavaScript or the bundle is missing (and for print).
// Charts are made about 700 px wide; in a narrower figure (a phone) the live chart is
// drawn with narrower panels, its title and sources broken into lines, long labels
// beside the bars in two lines and the legend in rows, so its text keeps its real size
// instead of the whole image being scaled down.  The panels' width is first guessed,
// then set from what was drawn, so that the chart, labels and all, fits its figure.
(function () {
  "use strict";
  var FULL_WIDTH = 700;   // px: a figure this wide takes the chart as it was made
  var LABEL_ROOM = 190;   // px beside a panel, first guess: axis labels left, figures right
  var MIN_PANEL = 64;     // px: the narrowest panel still worth drawing
  var LABEL_CHARS = 18;   // a label beside the bars longer than this takes two lines,
  var FIGURE_CHARS = 22;  // and so does a figure at a bar's end longer than this
  var TWO_LINE_STEP = 30; // px from bar to bar when labels take two lines (else 20)

  // *text* (a line or a list of lines) in lines of about *width* px at *size* px,
  // reckoning half an em and a little for a character.
  function wrapLines(text, width, size) {
    var most = Math.max(12, Math.floor(width / (0.56 * size)));
    var lines = [];
    [].concat(text).forEach(function (part) {
      var line = "";
      String(part).split(" ").forEach(function (word) {
        if (line && (line + " " + word).length > most) {
          lines.push(line);
          line = word;
        } else {
          line = line ? line + " " + word : word;
        }
      });
      lines.push(line);
    });
    return lines;
  }

  // The spec, changed in place to fit a figure *available* px wide.
  function fitToWidth(spec, available) {
    var inner = spec.spec || spec; // a faceted chart sizes its panels
    if (typeof inner.width === "number") {
      inner.width = Math.max(MIN_PANEL, Math.min(inner.width, available - LABEL_ROOM));
    }
    // The title and the subtitle that names the sources are broken into lines (never
    // cut: an image saved from the chart menu must still say where its figures come
    // from), leaving room for the menu's button at the top right.
    var title = spec.title, room = Math.max(MIN_PANEL, available - 48);
    if (title) {
      title.text = wrapLines(title.text, room, title.fontSize || 13);
      if (title.subtitle) {
        title.subtitle = wrapLines(title.subtitle, room, title.subtitleFontSize || 10);
      }
    }
    spec.config = spec.config || {};
    spec.config.legend = Object.assign({}, spec.config.legend, { columns: 2 });
    // Bars labelled beside and at their ends (a nominal y axis, a text layer): long
    // labels and figures in two lines, the bars further apart to make room for them.
    var rows = (spec.data && spec.data.values) || [];
    function longer(field, most) {
      return rows.some(function (row) { return String(row[field]).length > most; });
    }
    (inner.layer || [inner]).forEach(function (layer) {
      var y = layer.encoding && layer.encoding.y, text = layer.encoding && layer.encoding.text;
      if (y && y.type === "nominal" && longer(y.field, LABEL_CHARS)) {
        y.axis = Object.assign({}, y.axis, { labelExpr: twoLines("datum.label", LABEL_CHARS) });
        inner.height = { step: TWO_LINE_STEP };
      }
      if (y && y.type === "nominal" && text && text.field && longer(text.field, FIGURE_CHARS)) {
        var field = text.field + "_lines";
        layer.transform = (layer.transform || []).concat([{
          calculate: twoLines("datum[" + JSON.stringify(text.field) + "]", FIGURE_CHARS),
          as: field }]);
        layer.encoding.text = Object.assign({}, text, { field: field });
        inner.height = { step: TWO_LINE_STEP };
      }
    });
  }

  // A Vega expression: the text of *expr* broken in two lines when it is longer than
  // *most* characters: after the dash of a range within them, else at the last space
  // within them; never cut short.
  function twoLines(expr, most) {
    var head = "slice(" + expr + ", 0, " + (most + 1) + ")";
    var dashAt = "lastindexof(" + head + ", '\u2013')";
    var cut = "(" + dashAt + " > 0 ? " + dashAt + " : lastindexof(" + head + ", ' '))";
    var dash = "(slice(" + expr + ", " + cut + ", " + cut + " + 1) === '\u2013' ? 1 : 0)";
    return "length(" + expr + ") > " + most + " && " + cut + " > 0 ? [slice(" + expr +
      ", 0, " + cut + " + " + dash + "), slice(" + expr + ", " + cut + " + 1)] : " + expr;
  }

  // The width the panels need for the chart drawn in *target* to be *available* px wide
  // (never wider than *made*, the chart's own), or null when they have it already.  (The
  // drawing's own width: the figure shows it only once it is live.)
  function fittedWidth(spec, target, available, made) {
    var inner = spec.spec || spec, svg = target.querySelector("svg");
    var drawn = svg ? parseFloat(svg.getAttribute("width")) : NaN;
    if (typeof inner.width !== "number" || !(drawn > 0)) { return null; }
    var width = Math.min(made, Math.max(MIN_PANEL, Math.floor(inner.width + available - drawn)));
    return Math.abs(width - inner.width) >= 2 ? width : null;
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
    var made = (spec.spec || spec).width, narrow = available < FULL_WIDTH;
    if (narrow) { fitToWidth(spec, available); }
    draw(target, spec, narrow ? available : null, made).then(function () {
      // The actions menu opens from a <summary> that holds only an icon: name it.
      var menu = target.querySelector("details > summary");
      if (menu) { menu.setAttribute("aria-label", words.menu_label); }
      figure.classList.add("is-live");
    }).catch(function (error) {
      if (window.console) { window.console.warn("chart kept static:", error); }
    });
  });

  // Draws *spec* in *target*; given the *available* width, once more with the panels'
  // width that makes it fit, if the first drawing was wider or narrower.
  function draw(target, spec, available, made) {
    return window.vegaEmbed(target, spec, embedOptions()).then(function (result) {
      var width = available === null ? null : fittedWidth(spec, target, available, made);
      if (width === null) { return result; }
      (spec.spec || spec).width = width;
      result.finalize();
      return window.vegaEmbed(target, spec, embedOptions());
    });
  }

  function embedOptions() {
    return {
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
    };
  }
})();
