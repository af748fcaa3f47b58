/* Saved-widget rendering on the static site, served from the site itself (loaded between RequireJS and the
 * ipywidgets HTML manager by nb_ipywidgets_js in _config.yml).
 *
 * 1. RequireJS `paths` map the manager's AMD module id to the vendored copy: the manager derives its webpack
 *    public path (where its Font Awesome files live) from that module's URL, so without the mapping the fonts
 *    would be requested from the page's own folder and 404.
 * 2. Any widget module the manager does not bundle would be fetched from a CDN; point that fallback at the
 *    site's own folder instead, so a missing module is a local 404 rather than a request to another host.
 * 3. The widget base package typesets labels with the MathJax 2 API (MathJax.Hub.Queue) while Sphinx loads
 *    MathJax 3: bridge that call to MathJax 3, with $...$ in a label turned into \(...\) first.
 * 4. Without a kernel a saved widget cannot redraw, so a control that moved would leave the plot behind. Every
 *    saved widget with controls is marked a snapshot: its controls are made inert (no pointer, no keyboard focus)
 *    and a one-line note above it says so and links to the page that explains how to run it live.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  var staticRoot = script.src.replace(/mlsheet\/widgets\.js(\?.*)?$/, "");
  var managerDir = staticRoot + "html-manager";

  window.__jupyter_widgets_assets_path__ = managerDir + "/";
  script.setAttribute("data-jupyter-widgets-cdn", staticRoot + "widget-modules/");
  if (window.requirejs) {
    window.requirejs.config({ paths: { "@jupyter-widgets/html-manager/dist": managerDir } });
  }

  var DOLLAR_MATH = /\$([^$]+?)\$/g;

  function typeset(element) {
    var mj = window.MathJax;
    if (!element || !mj || typeof mj.typesetPromise !== "function") {
      return;
    }
    if (element.childElementCount === 0 && DOLLAR_MATH.test(element.textContent)) {
      element.textContent = element.textContent.replace(DOLLAR_MATH, "\\($1\\)");
    }
    DOLLAR_MATH.lastIndex = 0;
    element.classList.add("mathjax_process");
    var ready = mj.startup && mj.startup.promise ? mj.startup.promise : Promise.resolve();
    ready.then(function () { return mj.typesetPromise([element]); })
      .catch(function (err) { console.warn("MathJax could not typeset a widget label:", err); });
  }

  var hub = {
    Queue: function () {
      for (var i = 0; i < arguments.length; i++) {
        var job = arguments[i];
        if (Array.isArray(job) && job[0] === "Typeset") {
          typeset(job[2]);
        }
      }
    },
  };

  function installHub() {
    // Only on MathJax 3 itself (it has a version), not on the configuration object Sphinx assigns first.
    if (window.MathJax && window.MathJax.version && !window.MathJax.Hub) {
      window.MathJax.Hub = hub;
    }
  }

  var CONTROLS = ".widget-slider, .widget-dropdown, .widget-checkbox, .widget-toggle-buttons, .widget-radio, " +
    ".widget-play, .widget-button, .widget-text, .widget-select";
  var runLocally = staticRoot.replace(/_static\/$/, "") + "book/appendix/run_locally.html";

  function markSnapshot(subarea) {
    if (subarea.classList.contains("mlsheet-snapshot")) {
      return;
    }
    var controls = subarea.querySelectorAll(CONTROLS);
    if (!controls.length || !subarea.querySelector("img")) {
      return;
    }
    subarea.classList.add("mlsheet-snapshot");
    for (var i = 0; i < controls.length; i++) {
      controls[i].setAttribute("inert", "");
      controls[i].setAttribute("title", "Snapshot: run the notebook to move this control");
    }
    var note = document.createElement("p");
    note.className = "mlsheet-snapshot-note";
    note.appendChild(document.createTextNode("Snapshot of the stored run: the controls show the settings of the " +
      "plot and do not move here. "));
    var link = document.createElement("a");
    link.href = runLocally;
    link.textContent = "Run the notebook to explore it live.";
    note.appendChild(link);
    subarea.insertBefore(note, subarea.firstChild);
  }

  function markAll() {
    var areas = document.querySelectorAll(".widget-subarea");
    for (var i = 0; i < areas.length; i++) {
      markSnapshot(areas[i]);
    }
  }

  function watchWidgets() {
    markAll();
    new MutationObserver(markAll).observe(document.body, { childList: true, subtree: true });
  }

  // MathJax 3 is loaded with `defer`, so it has replaced window.MathJax by DOMContentLoaded; the widgets
  // render on `load`, after both.
  installHub();
  document.addEventListener("DOMContentLoaded", installHub);
  document.addEventListener("DOMContentLoaded", watchWidgets);
})();
