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
 * 4. Without a kernel a saved widget cannot redraw. `make execute` renders, for every Explorer, the settings the
 *    page offers (mlsheet_utils/explore/static.py): frames under _static/frames/<page>/<n>/ and a manifest.js
 *    listing them. Here each Explorer (the widget with class mlsheet-explorer-<n>) gets controls built from its
 *    manifest in place of the saved ones: moving one swaps the image and the caption for the stored frame. A
 *    control whose values were not rendered with the current settings of the others is disabled, with a
 *    one-line reason, so the plot never disagrees with the controls. Frames load when a reader first moves a
 *    control. A saved widget with controls but no frames (none rendered, or the manifest missing) is marked a
 *    snapshot instead: its controls are made inert and a note says so and links to how to run it live.
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

  // -- live Explorers from stored frames --------------------------------------------------------------------
  var siteRoot = staticRoot.replace(/_static\/$/, "");
  var framesRoot = staticRoot + "frames/";

  function pageKey() {
    var here = window.location.href.split("#")[0].split("?")[0];
    if (here.indexOf(siteRoot) !== 0) {
      return null;
    }
    return here.slice(siteRoot.length).replace(/\.html$/, "");
  }

  function explorerIndex(box) {
    for (var i = 0; i < box.classList.length; i++) {
      var m = /^mlsheet-explorer-(\d+)$/.exec(box.classList[i]);
      if (m) {
        return m[1];
      }
    }
    return null;
  }

  function loadManifest(key, done, fail) {
    var frames = window.mlsheetFrames || {};
    if (frames[key]) {
      done(frames[key]);
      return;
    }
    var tag = document.createElement("script");
    tag.src = framesRoot + key + "/manifest.js";
    tag.onload = function () {
      var m = (window.mlsheetFrames || {})[key];
      if (m) {
        done(m);
      } else {
        fail();
      }
    };
    tag.onerror = fail;
    document.head.appendChild(tag);
  }

  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) {
      node.className = cls;
    }
    if (text !== undefined) {
      node.textContent = text;
    }
    return node;
  }

  function makeLive(box, key, manifest) {
    var img = box.querySelector("img");
    var htmls = box.querySelectorAll(":scope > .widget-html, :scope > .jupyter-widgets.widget-html");
    var message = htmls.length ? htmls[htmls.length - 1] : null;
    var messageContent = message ? (message.querySelector(".widget-html-content") || message) : null;
    var savedRow = box.querySelector(":scope > .widget-hbox");
    var controls = manifest.controls;
    var defaults = manifest.default.split(",").map(Number);
    var idx = defaults.slice();
    var base = framesRoot + key + "/";
    var inputs = [];
    var preloaded = false;
    var players = [];

    var panel = el("div", "mlsheet-live");
    var row = el("div", "mlsheet-live-controls");
    var reason = el("p", "mlsheet-live-reason");
    reason.hidden = true;

    function frameAt(setting) {
      return manifest.frames[setting.join(",")];
    }

    function available(c) {
      var probe = idx.slice();
      for (var v = 0; v < controls[c].labels.length; v++) {
        probe[c] = v;
        if (!frameAt(probe)) {
          return false;
        }
      }
      return true;
    }

    function preload() {
      if (preloaded) {
        return;
      }
      preloaded = true;
      Object.keys(manifest.frames).forEach(function (k) {
        var f = manifest.frames[k];
        if (f.image) {
          new Image().src = base + f.image;
        }
      });
    }

    function show(initial) {
      var frame = frameAt(idx);
      if (!frame) {   // cannot happen: only rendered settings are reachable
        return;
      }
      if (initial) {
        // The saved widget already shows the stored run's plot and caption: no frame is loaded until a
        // reader moves a control.
      } else if (frame.image) {
        img.src = base + frame.image;
        img.classList.remove("mlsheet-live-stale");
      } else {
        img.classList.add("mlsheet-live-stale");
      }
      if (messageContent && !initial) {
        messageContent.innerHTML = frame.message;
      }
      box.setAttribute("data-mlsheet-setting", idx.join(","));
      var blocked = [];
      for (var c = 0; c < controls.length; c++) {
        var ok = available(c);
        inputs[c].disabled = !ok;
        inputs[c].closest(".mlsheet-live-control").classList.toggle("mlsheet-live-unavailable", !ok);
        if (!ok) {
          blocked.push(controls[c].label);
        }
      }
      if (blocked.length) {
        var moved = [];
        for (var m = 0; m < controls.length; m++) {
          if (idx[m] !== defaults[m]) {
            moved.push("\u201c" + controls[m].label + "\u201d to " + controls[m].labels[defaults[m]]);
          }
        }
        reason.textContent = "Frames were rendered one control at a time: set " + moved.join(" and ") +
          " (or press reset) to move the others.";
        reason.hidden = false;
        inputs.forEach(function (input, i) {
          input.title = input.disabled ? reason.textContent : "";
        });
        typeset(reason);
      } else {
        reason.hidden = true;
      }
    }

    function setValue(c, v) {
      idx[c] = v;
      display(c);
      preload();
      show();
    }

    function display(c) {
      var v = idx[c];
      var input = inputs[c];
      if (controls[c].kind === "checkbox") {
        input.checked = v === 1;
      } else if (controls[c].kind === "select") {
        input.selectedIndex = v;
      } else {
        input.value = String(v);
        input.setAttribute("aria-valuetext", controls[c].labels[v]);
        input.parentNode.querySelector("output").textContent = controls[c].labels[v];
      }
    }

    controls.forEach(function (control, c) {
      var wrap = el("label", "mlsheet-live-control");
      var label = el("span", "mlsheet-live-label", control.label);
      wrap.appendChild(label);
      var input;
      if (control.kind === "checkbox") {
        input = el("input");
        input.type = "checkbox";
        input.checked = idx[c] === 1;
        input.addEventListener("change", function () { setValue(c, input.checked ? 1 : 0); });
        wrap.appendChild(input);
      } else if (control.kind === "select") {
        input = el("select");
        control.labels.forEach(function (text) { input.appendChild(el("option", "", text)); });
        input.selectedIndex = idx[c];
        input.addEventListener("change", function () { setValue(c, input.selectedIndex); });
        wrap.appendChild(input);
      } else {
        input = el("input");
        input.type = "range";
        input.min = "0";
        input.max = String(control.labels.length - 1);
        input.step = "1";
        input.value = String(idx[c]);
        input.setAttribute("aria-valuetext", control.labels[idx[c]]);
        input.addEventListener("input", function () { setValue(c, Number(input.value)); });
        wrap.appendChild(input);
        wrap.appendChild(el("output", "", control.labels[idx[c]]));
        if (control.play_ms) {
          var play = el("button", "mlsheet-live-button", "\u25B6");
          play.type = "button";
          play.title = "play " + control.label;
          var timer = null;
          var stop = function () {
            if (timer !== null) {
              clearInterval(timer);
              timer = null;
              play.textContent = "\u25B6";
            }
          };
          players.push(stop);
          play.addEventListener("click", function (event) {
            event.preventDefault();
            if (timer !== null) {
              stop();
              return;
            }
            if (idx[c] >= control.labels.length - 1) {
              setValue(c, 0);
            }
            play.textContent = "\u275A\u275A";
            timer = setInterval(function () {
              if (input.disabled || idx[c] >= control.labels.length - 1) {
                stop();
                return;
              }
              setValue(c, idx[c] + 1);
            }, Math.max(control.play_ms, 150));
          });
          var step = el("button", "mlsheet-live-button", "step");
          step.type = "button";
          step.title = "next " + control.label;
          step.addEventListener("click", function (event) {
            event.preventDefault();
            if (!input.disabled) {
              setValue(c, idx[c] >= control.labels.length - 1 ? 0 : idx[c] + 1);
            }
          });
          wrap.appendChild(play);
          wrap.appendChild(step);
        }
      }
      input.setAttribute("data-mlsheet-control", control.name);
      inputs.push(input);
      row.appendChild(wrap);
      typeset(label);
    });

    var reset = el("button", "mlsheet-live-button mlsheet-live-reset", "reset");
    reset.type = "button";
    reset.title = "every control back to the stored run's setting";
    reset.addEventListener("click", function () {
      players.forEach(function (stop) { stop(); });
      for (var c = 0; c < controls.length; c++) {
        idx[c] = defaults[c];
        display(c);
      }
      show();
    });
    row.appendChild(reset);

    var note = el("p", "mlsheet-live-note");
    var count = Object.keys(manifest.frames).length;
    note.appendChild(document.createTextNode("Live without a kernel: " + count + " settings were rendered " +
      "when the notebook ran, and the controls offer exactly those. "));
    var link = el("a", "", "Run the notebook for every value.");
    link.href = runLocally;
    note.appendChild(link);

    panel.appendChild(note);
    panel.appendChild(row);
    panel.appendChild(reason);
    if (savedRow) {
      savedRow.style.display = "none";
      savedRow.setAttribute("aria-hidden", "true");
      box.insertBefore(panel, savedRow);
    } else {
      box.insertBefore(panel, box.firstChild);
    }
    box.classList.add("mlsheet-live-explorer");
    show(true);
  }

  function enhance(subarea) {
    if (subarea.hasAttribute("data-mlsheet-enhanced")) {
      return;
    }
    var boxes = subarea.querySelectorAll(".mlsheet-explorer");
    var key = pageKey();
    if (!boxes.length || key === null) {
      markSnapshot(subarea);
      return;
    }
    for (var i = 0; i < boxes.length; i++) {
      if (!boxes[i].querySelector("img") || !boxes[i].querySelector(".widget-hbox")) {
        return;   // the manager has not finished rendering this widget; the observer calls again
      }
    }
    subarea.setAttribute("data-mlsheet-enhanced", "");
    Array.prototype.forEach.call(boxes, function (box) {
      var n = explorerIndex(box);
      var full = key + "/" + n;
      loadManifest(full, function (manifest) {
        try {
          makeLive(box, full, manifest);
        } catch (err) {
          console.warn("mlsheet: could not make the widget live:", err);
          markSnapshot(subarea);
        }
      }, function () {
        markSnapshot(subarea);
      });
    });
  }

  function markAll() {
    var areas = document.querySelectorAll(".widget-subarea");
    for (var i = 0; i < areas.length; i++) {
      enhance(areas[i]);
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
