// Starts Pagefind's search UI on the search page (cari/). The index and the UI are the
// site's own files (pagefind/): the page names the main bundle (with the UI), the other
// shards of the index, which the UI merges, and the site's root in data attributes. Over file:// the browser cannot fetch the index, so the page keeps
// its explanation instead (it is also what readers without JavaScript see).
(function () {
  "use strict";
  var target = document.getElementById("search");
  var offline = document.getElementById("search-offline");
  if (!target || location.protocol === "file:" || typeof window.PagefindUI !== "function") {
    return;
  }
  // Result addresses are relative to the site's root: make them absolute paths from here,
  // so the site works under any folder of a web server.
  var base = new URL(target.getAttribute("data-base") || "./", location.href).pathname;
  var shards = (target.getAttribute("data-merge") || "").split(" ").filter(Boolean);
  var ui = new window.PagefindUI({
    element: "#search",
    bundlePath: new URL(target.getAttribute("data-bundle"), location.href).pathname,
    mergeIndex: shards.map(function (shard) {
      return {bundlePath: new URL(shard, location.href).pathname, baseUrl: base};
    }),
    baseUrl: base,
    showSubResults: true,
    showImages: false,
    resetStyles: false
  });
  // Pagefind's input is named only by a title attribute: give it a label.
  var input = target.querySelector("input");
  if (input) { input.setAttribute("aria-label", "Cari di situs ini"); }
  if (offline) { offline.hidden = true; }
  // A query in the address (cari/?q=Parepare) is searched at once.
  var query = new URLSearchParams(location.search).get("q");
  if (query && typeof ui.triggerSearch === "function") { ui.triggerSearch(query); }
})();
