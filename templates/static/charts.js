// Starts the interactive charts. Each <figure class="chart"> carries its Vega-Lite spec
// in a JSON block; vega-embed (from the site's own bundle) draws it, and the static SVG
// stays as the fallback when JavaScript or the bundle is missing (and for print).
// Charts are made about 700 px wide; in a narrower figure (a phone) the live chart is
// drawn with narrower panels, its title and sources broken into lines, long labels
// beside the bars in lines too and the legend in rows, so its text keeps its real size
// instead of the whole image being scaled down.  The panels' width is first guessed,
// then set from what was drawn (up to DRAWINGS times), so that the chart, labels and
// all, fits its figure; what still does not (a legend wider than the figure, panels at
// their narrowest) is scaled down to fit, as the static image is.  A chart drawn wider
// than its figure on a larger screen (a national comparison's line of sources) is
// fitted the same way, and every chart is fitted again when its figure's width changes
// (a phone turned on its side).
(function () {
  "use strict";
  var FULL_WIDTH = 700;   // px: a figure this wide takes the chart as it was made
  var LABEL_ROOM = 190;   // px beside a panel, first guess: axis labels left, figures right
  var MIN_PANEL = 64;     // px: the narrowest panel still worth drawing
  var DRAWINGS = 4;       // at most, to find the panels' width
  var LINE_STEP = 12;     // px a line of a label beside the bars adds to the bars' step
  var REFIT_DELAY = 250;  // ms after the window's last change of size: charts refitted
  var REFIT_MIN = 8;      // px: a figure's width must change by this much to draw again
  // A label beside the bars longer than this many characters is broken into lines, and
  // so is a figure at a bar's end (about 18 and 20 in a 300 px figure).
  function labelChars(available) { return Math.max(12, Math.round(available / 17)); }
  function figureChars(available) { return Math.max(14, Math.round(available / 15)); }

  // *text* (a line or a list of lines) in lines of about *width* px at *size* px,
  // reckoning half an em and a little for a character.
  function wrapLines(text, width, size) {
    var most = Math.max(12, Math.floor(width / (0.56 * size)));
    return [].concat(text).reduce(function (lines, part) {
      return lines.concat(breakText(String(part), most));
    }, []);
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
    // labels, figures and panel headings in lines, the bars further apart to make room.
    var rows = (spec.data && spec.data.values) || [];
    var labelMost = labelChars(available), figureMost = figureChars(available);
    var lines = 1;
    (inner.layer || [inner]).forEach(function (layer) {
      var y = layer.encoding && layer.encoding.y, text = layer.encoding && layer.encoding.text;
      if (!y || y.type !== "nominal") { return; }
      var labels = brokenValues(rows, y.field, labelMost, "datum.label");
      if (labels.expr) {
        y.axis = Object.assign({}, y.axis, { labelExpr: labels.expr });
        lines = Math.max(lines, labels.lines);
      }
      if (text && text.field) {  // (the lines are put in the data: no expression needed)
        var field = text.field + "_lines", most = 1;
        rows.forEach(function (row) {
          var value = row[text.field];
          var broken = typeof value === "string" ? breakText(value, figureMost) : [value];
          row[field] = broken.length > 1 ? broken : value;
          most = Math.max(most, broken.length);
        });
        if (most > 1) {
          layer.encoding.text = Object.assign({}, text, { field: field });
          lines = Math.max(lines, most);
        }
      }
    });
    if (lines > 1) { inner.height = { step: Math.max(20, LINE_STEP * lines + 6) }; }
    var facetRow = spec.facet && spec.facet.row;
    if (facetRow && facetRow.field) {
      // (datum.value: Vega-Lite writes a header's datum.label into the expression as a
      // conditional of its own, without brackets, so a comparison with it goes wrong)
      var headings = brokenValues(rows, facetRow.field, figureMost, "datum.value");
      if (headings.expr) {
        facetRow.header = Object.assign({}, facetRow.header, { labelExpr: headings.expr });
      }
    }
  }

  // *text* as lines of at most *most* characters where it can be (one line if it fits):
  // a range broken after its dash ("Rp100 juta\u2013" / "Rp200 juta"), a longer part at
  // its spaces; never cut short.
  function breakText(text, most) {
    var tokens = [];
    text.split("\u2013").forEach(function (part, i, parts) {
      var piece = i < parts.length - 1 ? part + "\u2013" : part;
      var glue = i === 0 || /^\s/.test(piece) ? " " : "";
      var words = piece.trim().length <= most ? [piece.trim()] : piece.trim().split(/\s+/);
      words.forEach(function (word, j) {
        if (word) { tokens.push({ text: word, glue: j === 0 ? glue : " " }); }
      });
    });
    var lines = [], line = "";
    tokens.forEach(function (token) {
      var joined = line ? line + token.glue + token.text : token.text;
      if (line && joined.length > most) {
        lines.push(line);
        line = token.text;
      } else {
        line = joined;
      }
    });
    lines.push(line);
    return lines;
  }

  // For the values of *field* in *rows* longer than *most* characters: a Vega expression
  // that gives each its lines, by *subject* (the label or value of an axis's or header's
  // datum: the field's value itself), and the most lines any takes; expr is null when
  // none is longer.  (A lookup, not a comparison per value: a national comparison has
  // hundreds of labels.  Keys are prefixed, so no label meets an object's own names.)
  function brokenValues(rows, field, most, subject) {
    var table = {}, lines = 1;
    rows.forEach(function (row) {
      var value = row[field], key = "k:" + value;
      if (typeof value !== "string" || value.length <= most || key in table) { return; }
      var broken = breakText(value, most);
      if (broken.length > 1) {
        table[key] = broken;
        lines = Math.max(lines, broken.length);
      }
    });
    var expr = "(" + JSON.stringify(table) + ")['k:' + " + subject + "] || " + subject;
    return { expr: lines > 1 ? expr : null, lines: lines };
  }

  // The width of the drawing in *target* (its own: the figure shows it only once it is
  // live, so its box may not be measured yet), NaN if there is none.
  function drawnWidth(target) {
    var svg = target.querySelector("svg");
    return svg ? parseFloat(svg.getAttribute("width")) : NaN;
  }

  // The width the panels need for the chart drawn in *target* to be *available* px wide
  // (never wider than *made*, the chart's own), or null when they have it already.
  function fittedWidth(spec, target, available, made) {
    var inner = spec.spec || spec, drawn = drawnWidth(target);
    if (typeof inner.width !== "number" || !(drawn > 0)) { return null; }
    var width = Math.min(made, Math.max(MIN_PANEL, Math.floor(inner.width + available - drawn)));
    return Math.abs(width - inner.width) >= 2 ? width : null;
  }

  // A drawing still wider than *available* px scaled down to it, its text with it (by
  // its width and height attributes: it keeps its viewBox).
  function scaleToFit(target, available) {
    var svg = target.querySelector("svg"), drawn = drawnWidth(target);
    if (!(drawn > available)) { return; }
    var height = parseFloat(svg.getAttribute("height"));
    svg.setAttribute("width", String(available));
    svg.setAttribute("height", String(Math.round(height * available / drawn)));
  }
  if (typeof window.vegaEmbed !== "function") { return; }
  var localeBlock = document.getElementById("chart-locale");
  var formatLocale = localeBlock ? JSON.parse(localeBlock.textContent) : undefined;
  // The menu's words, in the page's language (from the message catalog, see base.html).
  var stringsBlock = document.getElementById("chart-strings");
  var words = stringsBlock ? JSON.parse(stringsBlock.textContent) : {};
  var charts = [];
  Array.prototype.forEach.call(document.querySelectorAll("figure.chart"), function (figure) {
    var specBlock = figure.querySelector("script.chart-spec");
    var target = figure.querySelector(".chart-live");
    if (specBlock && target) { charts.push(liveChart(figure, specBlock.textContent, target)); }
  });
  charts.forEach(function (chart) { chart.fit(); });
  // A phone turned on its side, a window made narrower: each chart is drawn again for
  // its figure's new width (once the resizing has stopped for a moment).
  var resizing = null;
  window.addEventListener("resize", function () {
    window.clearTimeout(resizing);
    resizing = window.setTimeout(function () {
      charts.forEach(function (chart) { chart.fit(); });
    }, REFIT_DELAY);
  });

  // The live chart of *figure*, drawn in *target* from the spec *specText*: fit() draws
  // it for the figure's width unless it was last drawn for (about) that width already.
  // One drawing at a time: a fit asked for meanwhile is made when the drawing is over.
  function liveChart(figure, specText, target) {
    var drawnFor = null, shown = null, drawing = false, again = false;
    function fit() {
      if (drawing) { again = true; return; }
      var available = figure.clientWidth - 24; // less the figure's padding
      if (drawnFor !== null && Math.abs(available - drawnFor) < REFIT_MIN) { return; }
      drawing = true;
      drawnFor = available;
      if (shown) { shown.finalize(); shown = null; }
      var spec = JSON.parse(specText);
      var made = (spec.spec || spec).width, fitted = available < FULL_WIDTH;
      if (fitted) { fitToWidth(spec, available); }
      // (a chart that fits as it was made, as on most desktops, is drawn once)
      draw(target, spec, available, made, fitted, DRAWINGS).then(function (result) {
        shown = result;
        // The actions menu opens from a <summary> that holds only an icon: name it.
        var menu = target.querySelector("details > summary");
        if (menu) { menu.setAttribute("aria-label", words.menu_label); }
        figure.classList.add("is-live");
      }).catch(function (error) {  // (the static image shows again, until a next fit)
        drawnFor = null;
        figure.classList.remove("is-live");
        if (window.console) { window.console.warn("chart kept static:", error); }
      }).then(function () {
        drawing = false;
        if (again) { again = false; fit(); }
      });
    }
    return { fit: fit };
  }

  // Draws *spec* in *target*, again with the panels' width that makes it *available* px
  // wide while the last drawing was wider or narrower (*drawings* left).  A chart not yet
  // *fitted* (a larger screen's) that was drawn wider than its figure is fitted first.
  function draw(target, spec, available, made, fitted, drawings) {
    return window.vegaEmbed(target, spec, embedOptions()).then(function (result) {
      var width = null;
      if (drawings > 1 && !fitted && drawnWidth(target) > available + 1) {
        fitToWidth(spec, available);
        width = (spec.spec || spec).width;
      } else if (drawings > 1 && fitted) {
        width = fittedWidth(spec, target, available, made);
      }
      if (width === null) {
        scaleToFit(target, available);
        return result;
      }
      (spec.spec || spec).width = width;
      result.finalize();
      return draw(target, spec, available, made, true, drawings - 1);
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
