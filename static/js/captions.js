// The player's captions track follows edits made in place. The VTT is made from the stored lines
// on every request (and sent with Cache-Control: no-cache), so a page load always gets the
// current one; an edit saved through htmx changes the lines under a track the browser has already
// read, so the track is swapped for a fresh one, keeping whether the captions were showing.
(function () {
  "use strict";

  function reloadCaptions() {
    var player = document.getElementById("player");
    var track = player && player.querySelector("track[kind=captions]");
    if (!track) return;
    var showing = track.track && track.track.mode === "showing";
    var fresh = track.cloneNode(false);
    var url = new URL(track.getAttribute("src"), document.baseURI);
    url.searchParams.set("v", String(Date.now()));
    fresh.setAttribute("src", url.pathname + url.search);
    track.replaceWith(fresh);
    if (showing) fresh.track.mode = "showing";
  }

  document.addEventListener("htmx:afterRequest", function (event) {
    var detail = event.detail || {};
    var config = detail.requestConfig || {};
    if (!detail.successful || String(config.verb).toLowerCase() !== "post") return;
    if (/\/segments\/\d+\//.test(config.path || "")) reloadCaptions();
  });
})();
