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
      list.addEventListener("click", function (event) {
        var link = event.target.closest(".timestamp");
        var segment = event.target.closest(".segment");
        if (!segment || segment.classList.contains("editing")) return;
        if (event.target.closest("form, button, textarea, a:not(.timestamp)")) return;
        if (link) event.preventDefault();
        player.currentTime = parseFloat(segment.dataset.start);
        player.play().catch(function () { /* autoplay may be refused; seeking still worked */ });
      });
      // A link to "#t=SECONDS" (from search results) starts the player there.
      var wanted = /^#t=(\d+(?:\.\d+)?)$/.exec(window.location.hash);
      if (wanted) {
        var seek = function () { player.currentTime = parseFloat(wanted[1]); };
        if (player.readyState >= 1) seek(); else player.addEventListener("loadedmetadata", seek, { once: true });
      }
      var current = null;
      player.addEventListener("timeupdate", function () {
        var t = player.currentTime;
        var found = null;
        for (var i = 0; i < segments.length; i++) {
          if (t >= parseFloat(segments[i].dataset.start) && t < parseFloat(segments[i].dataset.end)) {
            found = segments[i];
            break;
          }
        }
        if (found === current) return;
        if (current) { current.classList.remove("current"); current.removeAttribute("aria-current"); }
        if (found) { found.classList.add("current"); found.setAttribute("aria-current", "true"); }
        current = found;
      });
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

  function setUp(root) {
    setUpChapters(root);
    setUpDropzones(root);
    setUpTranscript(root);
  }

  document.addEventListener("DOMContentLoaded", function () { setUp(document); });
  document.addEventListener("htmx:load", function (event) { setUp(event.target.ownerDocument || document); });
})();
