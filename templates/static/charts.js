// Starts the interactive charts. Each <figure class="chart"> carries its Vega-Lite spec
// in a JSON block; vega-embed (from the site's own bundle) draws it, and the static SVG
// stays as the fallback when JavaScript or the bundle is missing (and for print).
// Charts are made about 700 px wide; in a narrower figure (a phone) the live chart is
// drawn with narrower panels, its title and sources broken into lines and the legend
// in rows, so its text keeps its real size instead of the whole image being scaled down.
(function () {
  "use strict";
  var FULL_WIDTH = 700;   // px: a figure this wide takes the chart as it was made
  var LABEL_ROOM = 190;   // px beside a panel: axis labels left, figure labels right
  var MIN_PANEL = 120;    // px: the narrowest panel still worth drawing

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
