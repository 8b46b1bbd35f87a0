// With object storage, the upload form sends files straight to the bucket, with a progress bar:
// the server signs each request (POST with a size-limited policy, or one URL a part for a large
// file), then the form is sent with the uploads' tokens in place of the files. Without this
// script the form sends the files to the web server, as on the embedded default.
(function () {
  "use strict";

  function postJSON(form, url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value,
      },
      body: JSON.stringify(body),
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) throw new Error(data.error || "The upload was refused.");
        return data;
      });
    });
  }

  // XMLHttpRequest, not fetch: only it reports upload progress.
  function send(method, url, body, onProgress) {
    return new Promise(function (resolve, reject) {
      var xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.upload.addEventListener("progress", function (event) { onProgress(event.loaded); });
      xhr.addEventListener("load", function () {
        if (xhr.status >= 200 && xhr.status < 300) resolve(xhr);
        else reject(new Error("The storage refused the upload (HTTP " + xhr.status + ")."));
      });
      xhr.addEventListener("error", function () { reject(new Error("The upload was interrupted.")); });
      xhr.send(body);
    });
  }

  function uploadOne(form, file, onProgress) {
    return postJSON(form, form.dataset.directUpload, { name: file.name, size: file.size })
      .then(function (signed) {
        if (signed.method === "post") {
          var data = new FormData();
          Object.keys(signed.fields).forEach(function (name) { data.append(name, signed.fields[name]); });
          data.append("file", file); // last: the bucket ignores fields after the file
          return send("POST", signed.url, data, onProgress).then(function () { return signed.token; });
        }
        var etags = [], offset = 0, chain = Promise.resolve();
        signed.parts.forEach(function (part) {
          var start = offset;
          offset += part.size;
          chain = chain.then(function () {
            return send("PUT", part.url, file.slice(start, start + part.size), function (loaded) {
              onProgress(start + loaded);
            }).then(function (xhr) { etags.push(xhr.getResponseHeader("ETag")); });
          });
        });
        return chain
          .then(function () {
            return postJSON(form, form.dataset.directComplete, { token: signed.token, etags: etags });
          })
          .then(function () { return signed.token; });
      });
  }

  function setUp(form) {
    var input = form.querySelector("input[type=file]");
    var box = form.querySelector(".upload-progress");
    if (!input || !box || form.dataset.directReady) return;
    form.dataset.directReady = "1";
    var bar = box.querySelector("progress");
    var text = box.querySelector("[role=status]");
    var button = form.querySelector("button[type=submit]");

    form.addEventListener("submit", function (event) {
      if (!input.files.length) return; // links only: the form goes as it is
      event.preventDefault();
      var files = Array.prototype.slice.call(input.files);
      var total = files.reduce(function (sum, file) { return sum + file.size; }, 0) || 1;
      var done = 0;
      box.hidden = false;
      button.disabled = true;
      var chain = Promise.resolve();
      files.forEach(function (file) {
        chain = chain.then(function () {
          text.textContent = "Uploading " + file.name + ": " + Math.floor((100 * done) / total) + " %";
          return uploadOne(form, file, function (loaded) {
            var percent = Math.floor((100 * (done + loaded)) / total);
            bar.value = percent;
            text.textContent = "Uploading " + file.name + ": " + percent + " %";
          }).then(function (token) {
            done += file.size;
            var hidden = document.createElement("input");
            hidden.type = "hidden";
            hidden.name = "uploaded";
            hidden.value = token;
            form.appendChild(hidden);
          });
        });
      });
      chain
        .then(function () {
          bar.value = 100;
          text.textContent = "Uploaded; creating the job…";
          input.disabled = true; // the bytes are in the bucket: the form sends only the tokens
          form.submit();
        })
        .catch(function (error) {
          text.textContent = error.message;
          text.setAttribute("role", "alert");
          button.disabled = false;
          form.querySelectorAll("input[name=uploaded]").forEach(function (el) { el.remove(); });
        });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-direct-upload]").forEach(setUp);
  });
})();
