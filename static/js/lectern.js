// Small enhancements; every page works without them.
(function () {
  "use strict";

  // Drag and drop onto the upload area puts the file into the real file input.
  function setUpDropzones(root) {
    root.querySelectorAll("[data-dropzone-for]").forEach(function (zone) {
      if (zone.dataset.ready) return;
      zone.dataset.ready = "1";
      var input = document.getElementById(zone.dataset.dropzoneFor);
      if (!input) return;
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (event) {
          event.preventDefault();
          zone.classList.add("dragging");
        });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function () { zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        if (event.dataTransfer && event.dataTransfer.files.length) {
          input.files = event.dataTransfer.files;
          input.dispatchEvent(new Event("change", { bubbles: true }));
        }
      });
    });
  }

  // Clicking a segment seeks the player; the segment being spoken is highlighted.
  function setUpTranscript(root) {
    root.querySelectorAll("ol.transcript[data-player]").forEach(function (list) {
      if (list.dataset.ready) return;
      list.dataset.ready = "1";
      var player = document.getElementById(list.dataset.player);
      if (!player) return;
      var segments = Array.prototype.slice.call(list.querySelectorAll(".segment"));
      var pressed = false;  // a long-press just showed a line's tools: its click must not seek
      list.addEventListener("click", function (event) {
        var link = event.target.closest(".timestamp");
        var segment = event.target.closest(".segment");
        if (!segment || segment.classList.contains("editing")) return;
        if (event.target.closest("form, button, textarea, a:not(.timestamp)")) return;
        if (link) event.preventDefault();
        if (pressed) { pressed = false; return; }
        showTools(null);
        player.currentTime = parseFloat(segment.dataset.start);
        player.play().catch(function () { /* autoplay may be refused; seeking still worked */ });
      });
      // On a touch screen the edit pencil shows after a long-press on the line (a tap seeks).
      function showTools(segment) {
        list.querySelectorAll(".segment.show-tools").forEach(function (other) {
          if (other !== segment) other.classList.remove("show-tools");
        });
        if (segment) segment.classList.add("show-tools");
      }
      var touchTimer = 0;
      list.addEventListener("touchstart", function (event) {
        var segment = event.target.closest(".segment");
        if (!segment || segment.classList.contains("editing") || event.target.closest("a, textarea")) return;
        window.clearTimeout(touchTimer);
        touchTimer = window.setTimeout(function () { pressed = true; showTools(segment); }, 550);
      }, { passive: true });
      ["touchend", "touchmove", "touchcancel"].forEach(function (name) {
        list.addEventListener(name, function () { window.clearTimeout(touchTimer); }, { passive: true });
      });
      list.addEventListener("contextmenu", function (event) {
        var segment = event.target.closest(".segment");
        if (!segment || !touchOnly.matches || event.target.closest("a, textarea")) return;
        event.preventDefault();
        window.clearTimeout(touchTimer);
        pressed = false;
        showTools(segment);
      });
      // A link to "#t=SECONDS" (from search results) starts the player there.
      var wanted = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
      if (wanted) {
        var seek = function () { player.currentTime = parseFloat(wanted[1]); };
        if (player.readyState >= 1) seek(); else player.addEventListener("loadedmetadata", seek, { once: true });
      }
      // The line being spoken gets "current" (and aria-current); within it, the word being spoken
      // gets "spoken-word", followed every animation frame while playing (timeupdate alone comes
      // only about four times a second, too coarse for words).
      var current = null, word = null, frame = 0;
      function follow() {
        var t = player.currentTime;
        var found = null;
        for (var i = 0; i < segments.length; i++) {
          if (!segments[i].isConnected) segments[i] = document.getElementById(segments[i].id) || segments[i];
          if (t >= parseFloat(segments[i].dataset.start) && t < parseFloat(segments[i].dataset.end)) {
            found = segments[i];
            break;
          }
        }
        if (found !== current) {
          if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
          if (found) { found.classList.add("current"); found.setAttribute("aria-current", "true"); }
          current = found;
          if (found && !player.paused) keepInView(found);
        }
        var spoken = null;
        if (found) {
          var words = found.querySelectorAll(".word");
          for (var j = 0; j < words.length; j++) {
            if (parseFloat(words[j].dataset.start) > t) break;
            if (t < parseFloat(words[j].dataset.end)) spoken = words[j];
          }
        }
        if (spoken !== word) {
          if (word) word.classList.remove("spoken-word");
          if (spoken) spoken.classList.add("spoken-word");
          word = spoken;
        }
      }
      function loop() { follow(); frame = player.paused ? 0 : window.requestAnimationFrame(loop); }
      player.addEventListener("play", function () { if (!frame) frame = window.requestAnimationFrame(loop); });
      player.addEventListener("timeupdate", follow);
      player.addEventListener("seeked", follow);
    });
  }

  // The line being spoken stays in the free part of the screen: below the pinned player (on a
  // phone), above the bottom edge. Not while the reader scrolls on their own, for a few seconds.
  var touchOnly = window.matchMedia("(hover: none)");
  var readerScrolled = 0;
  ["wheel", "touchmove"].forEach(function (name) {
    window.addEventListener(name, function () { readerScrolled = Date.now(); }, { passive: true });
  });
  document.addEventListener("keydown", function (event) {
    if (/^(PageUp|PageDown|ArrowUp|ArrowDown|Home|End| )$/.test(event.key)) readerScrolled = Date.now();
  });

  function freeTop() {
    var dock = document.getElementById("job-dock");
    if (!dock || getComputedStyle(dock).position !== "sticky") return 0;
    return Math.max(0, dock.getBoundingClientRect().bottom);
  }

  function keepInView(line) {
    if (Date.now() - readerScrolled < 4000 || !line.offsetParent) return;
    var top = freeTop(), bottom = window.innerHeight, box = line.getBoundingClientRect();
    if (box.top >= top && box.bottom <= bottom) return;
    // A third of the way down the free area: the lines to come are in view below it.
    var smooth = window.matchMedia("(prefers-reduced-motion: reduce)").matches ? "auto" : "smooth";
    window.scrollBy({ top: box.top - top - (bottom - top) / 3, behavior: smooth });
  }

  // The pinned dock's height, for the browser's own scrolling (focus, anchors) to avoid it.
  function setUpDock() {
    var dock = document.getElementById("job-dock");
    if (!dock || dock.dataset.ready) return;
    dock.dataset.ready = "1";
    var measure = function () {
      var pinned = getComputedStyle(dock).position === "sticky";
      document.documentElement.style.setProperty("--dock-height", (pinned ? dock.offsetHeight + 8 : 0) + "px");
    };
    measure();
    if (window.ResizeObserver) new ResizeObserver(measure).observe(dock);
    window.addEventListener("resize", measure);
  }

  // The job page's tabs (templates/jobs/detail.html): links to "?tab=…" that work without
  // JavaScript; here they switch in place, with the arrow keys moving between them (WAI-ARIA
  // tabs, automatic activation). The transcript's tab only shows on a narrow screen.
  var narrow = window.matchMedia("(max-width: 899.98px)");

  function setUpTabs() {
    var view = document.getElementById("job-view");
    if (!view || view.dataset.tabsReady) return;
    view.dataset.tabsReady = "1";
    var tabs = Array.prototype.slice.call(view.querySelectorAll("[role=tab]"));
    function shown() { return tabs.filter(function (tab) { return tab.offsetParent !== null; }); }
    function select(key, focus) {
      view.dataset.tab = key;
      view.setAttribute("data-tab-chosen", "");
      tabs.forEach(function (tab) {
        var on = tab.dataset.tab === key;
        tab.setAttribute("aria-selected", on ? "true" : "false");
        if (on) tab.removeAttribute("tabindex"); else tab.setAttribute("tabindex", "-1");
        if (on && focus) tab.focus();
      });
    }
    function remember(key) {
      var url = new URL(window.location.href);
      url.searchParams.set("tab", key);
      if (!/^#t=/.test(url.hash)) url.hash = "";
      window.history.replaceState(window.history.state, "", url.toString());
    }
    function fit() {
      if (!narrow.matches && view.dataset.tab === "transcript") select("notes");
    }
    view.querySelector("[role=tablist]").addEventListener("click", function (event) {
      var tab = event.target.closest("[role=tab]");
      if (!tab) return;
      event.preventDefault();
      select(tab.dataset.tab, false);
      remember(tab.dataset.tab);
      // On a phone the open section starts right under the pinned player.
      var dock = document.getElementById("job-dock");
      if (narrow.matches && dock && dock.getBoundingClientRect().top <= 0) {
        window.scrollTo({ top: view.getBoundingClientRect().top + window.scrollY });
      }
    });
    // A link to another tab inside a section ("check the layout") switches in place too.
    view.addEventListener("click", function (event) {
      var link = event.target.closest("a.tab-link[data-tab]");
      if (!link) return;
      event.preventDefault();
      select(link.dataset.tab, false);
      remember(link.dataset.tab);
    });
    view.querySelector("[role=tablist]").addEventListener("keydown", function (event) {
      var list = shown(), at = list.indexOf(event.target), to = -1;
      if (at < 0) return;
      if (event.key === "ArrowRight") to = (at + 1) % list.length;
      else if (event.key === "ArrowLeft") to = (at - 1 + list.length) % list.length;
      else if (event.key === "Home") to = 0;
      else if (event.key === "End") to = list.length - 1;
      if (to < 0) return;
      event.preventDefault();
      select(list[to].dataset.tab, true);
      remember(list[to].dataset.tab);
    });
    // An address naming a section (#speakers, #study-notes, #segment-4) opens its tab.
    var target = null;
    if (/^#[A-Za-z][\w-]*$/.test(window.location.hash)) target = document.getElementById(window.location.hash.slice(1));
    var panel = target && target.closest(".tab-panel, #transcript");
    if (panel) select(panel.id === "transcript" ? "transcript" : panel.id.replace(/^panel-/, ""), false);
    else if (!view.hasAttribute("data-tab-chosen") && narrow.matches) select("transcript", false);
    if (panel && target) target.scrollIntoView();
    fit();
    if (narrow.addEventListener) narrow.addEventListener("change", fit);
  }

  // The layout check (templates/jobs/includes/layout_check.html): choosing a preset draws its
  // boxes over the frame, dashed, before anything is applied; its numbers fill the fields.
  function setUpLayoutPreview() {
    var select = document.getElementById("layout-preset");
    if (!select || select.dataset.ready) return;
    select.dataset.ready = "1";
    var svg = "http://www.w3.org/2000/svg";
    select.addEventListener("change", function () {
      var group = document.getElementById("layout-preview");
      var frame = document.getElementById("layout-frame");
      var note = document.getElementById("layout-preview-note");
      if (!group || !frame) return;
      while (group.firstChild) group.removeChild(group.firstChild);
      var option = select.options[select.selectedIndex];
      if (select.value === "custom") {
        frame.classList.remove("previewing");
        if (note) note.textContent = "";
        return;
      }
      var stroke = group.dataset.stroke, font = group.dataset.font;
      [["screen", "Slides", "#79b8ff"], ["camera", "Camera", "#ffab70"]].forEach(function (kind) {
        var text = option.dataset[kind[0]] || "";
        var values = text ? text.split(",").map(Number) : null;
        ["x", "y", "w", "h"].forEach(function (part, i) {
          var input = select.form.querySelector('[name="' + kind[0] + "_" + part + '"]');
          if (input) input.value = values ? values[i] : "";
        });
        if (!values) return;
        var rect = document.createElementNS(svg, "rect");
        [["x", values[0]], ["y", values[1]], ["width", values[2]], ["height", values[3]], ["fill", "none"],
         ["stroke", kind[2]], ["stroke-width", stroke], ["stroke-dasharray", stroke * 4]].forEach(function (pair) {
          rect.setAttribute(pair[0], pair[1]);
        });
        var label = document.createElementNS(svg, "text");
        [["x", values[0]], ["y", values[1]], ["dx", font / 3], ["dy", font * 1.2], ["font-size", font],
         ["font-weight", "bold"], ["fill", "#fff"], ["stroke", "#000"], ["stroke-width", font / 17]].forEach(function (pair) {
          label.setAttribute(pair[0], pair[1]);
        });
        label.textContent = kind[1] + " (preview)";
        group.appendChild(rect);
        group.appendChild(label);
      });
      frame.classList.add("previewing");
      if (note) note.textContent = "Preview of “" + option.textContent + "”: nothing is applied until you save.";
    });
  }

  // Chapter links seek the main player too.
  function setUpChapters(root) {
    root.querySelectorAll("a.chapter-link[data-start]").forEach(function (link) {
      if (link.dataset.ready) return;
      link.dataset.ready = "1";
      link.addEventListener("click", function (event) {
        var player = document.getElementById("player");
        if (!player) return;
        event.preventDefault();
        player.currentTime = parseFloat(link.dataset.start);
        player.play().catch(function () {});
      });
    });
  }

  // Playback speed, next to the player: a transcript is corrected faster at 0.75x and read
  // faster at 1.5x. Made here because it only works with JavaScript anyway.
  function setUpSpeed(root) {
    var player = root.getElementById ? root.getElementById("player") : document.getElementById("player");
    if (!player || player.dataset.speedReady) return;
    player.dataset.speedReady = "1";
    var label = document.createElement("label");
    label.className = "playback-speed";
    label.textContent = "Speed ";
    var select = document.createElement("select");
    [0.5, 0.75, 1, 1.25, 1.5, 2].forEach(function (rate) {
      var option = document.createElement("option");
      option.value = String(rate);
      option.textContent = rate + "×";
      if (rate === 1) option.selected = true;
      select.appendChild(option);
    });
    select.addEventListener("change", function () { player.playbackRate = parseFloat(select.value); });
    label.appendChild(select);
    var bar = document.getElementById("player-bar");
    if (bar) bar.insertAdjacentElement("afterbegin", label);
    else player.insertAdjacentElement("afterend", label);
  }

  // Keyboard shortcuts, as transcript editors have them. With Alt they work while typing in an
  // edit box too; without, only when no text field has the focus.
  //   k or Alt+K: play/pause · j or Alt+J: back 5 s · l or Alt+L: forward 5 s
  //   n or Alt+N: next line · p or Alt+P: previous line (the player follows)
  function typing(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  function lines() {
    return Array.prototype.slice.call(document.querySelectorAll("ol.transcript .segment"));
  }

  function goToLine(player, step) {
    var all = lines();
    if (!all.length) return;
    var t = player.currentTime, index = -1;
    for (var i = 0; i < all.length; i++) {
      if (parseFloat(all[i].dataset.start) <= t + 0.05) index = i;
    }
    var next = all[Math.max(0, Math.min(all.length - 1, index + step))];
    player.currentTime = parseFloat(next.dataset.start);
    next.scrollIntoView({ block: "center", behavior: "smooth" });
    var link = next.querySelector(".timestamp");
    if (link) link.focus({ preventScroll: true });
  }

  document.addEventListener("keydown", function (event) {
    var player = document.getElementById("player");
    if (!player || event.ctrlKey || event.metaKey) return;
    if (!event.altKey && (event.shiftKey || typing(event.target))) return;
    var key = (event.code || "").replace(/^Key/, "").toLowerCase();
    var actions = {
      k: function () { if (player.paused) player.play().catch(function () {}); else player.pause(); },
      j: function () { player.currentTime = Math.max(0, player.currentTime - 5); },
      l: function () { player.currentTime = player.currentTime + 5; },
      n: function () { goToLine(player, 1); },
      p: function () { goToLine(player, -1); },
    };
    if (!actions[key]) return;
    event.preventDefault();
    actions[key]();
  });

  function setUp(root) {
    setUpChapters(root);
    setUpDropzones(root);
    setUpTranscript(root);
    setUpSpeed(document);
    setUpDock();
    setUpTabs();
    setUpLayoutPreview();
  }

  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:load", function (event) { setUp(event.target.ownerDocument || document); });
})();
