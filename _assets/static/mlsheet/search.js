/* Search results on the site: Sphinx builds each result's summary from the page's text, which on a notebook page
 * holds raw TeX (\( ... \), before MathJax typesets it) and the code of every cell. Leave those out of the
 * summary, so a result shows the sentence around the match. (`Search` is the global that Sphinx's
 * searchtools.js declares; on pages without it this does nothing.)
 */
(function () {
  "use strict";
  var SKIP = ".math, mjx-container, div.cell_input, div.cell_output, pre, .highlight, .admonition-title";

  function patch() {
    if (typeof Search === "undefined" || !Search.htmlToText || Search.__mlsheetPatched) {
      return;
    }
    var original = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(SKIP).forEach(function (el) { el.remove(); });
      return original(doc.documentElement.outerHTML, anchor);
    };
    Search.__mlsheetPatched = true;
  }

  patch();
  document.addEventListener("DOMContentLoaded", patch);
})();
