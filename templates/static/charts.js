// Starts the interactive charts. Each <figure class="chart"> carries its Vega-Lite spec
// in a JSON block; vega-embed (from the site's own bundle) draws it, and the static SVG
// stays as the fallback when JavaScript or the bundle is missing, and on screens too
// narrow for the interactive chart (the image scales down; the live chart would not).
(function () {
  "use strict";
  var MIN_LIVE_WIDTH = 640; // px; charts are drawn about 700 px wide
  if (typeof window.vegaEmbed !== "function") { return; }
  var localeBlock = document.getElementById("chart-locale");
  var formatLocale = localeBlock ? JSON.parse(localeBlock.textContent) : undefined;
  var figures = document.querySelectorAll("figure.chart");
  Array.prototype.forEach.call(figures, function (figure) {
    var specBlock = figure.querySelector("script.chart-spec");
    var target = figure.querySelector(".chart-live");
    if (!specBlock || !target) { return; }
    if (figure.clientWidth < MIN_LIVE_WIDTH) { return; }
    var spec = JSON.parse(specBlock.textContent);
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
      i18n: { CLICK_TO_VIEW_ACTIONS: "Menu grafik", PNG_ACTION: "Simpan sebagai PNG",
               SVG_ACTION: "Simpan sebagai SVG" }
    }).then(function () {
      // The actions menu opens from a <summary> that holds only an icon: name it.
      var menu = target.querySelector("details > summary");
      if (menu) { menu.setAttribute("aria-label", "Menu grafik: simpan sebagai gambar"); }
      figure.classList.add("is-live");
    }).catch(function (error) {
      if (window.console) { window.console.warn("chart kept static:", error); }
    });
  });
})();
