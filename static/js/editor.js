// The post editor's image upload: sends the chosen picture to /account/images and inserts its
// Markdown at the cursor. Without JavaScript the editor links to /account/images instead.
(function () {
  "use strict";
  var box = document.getElementById("image-upload");
  var content = document.getElementById("content");
  if (!box || !content || !window.fetch || !window.FormData) return;
  var file = document.getElementById("upload-image");
  var alt = document.getElementById("upload-alt");
  var button = document.getElementById("upload-insert");
  var status = document.getElementById("upload-status");
  var token = document.querySelector("form input[name=csrf_token]");
  box.hidden = false;

  function say(text, failed) {
    status.textContent = text;
    status.className = failed ? "field-error" : "hint";
  }

  function insert(text) {
    var start = content.selectionStart, end = content.selectionEnd, value = content.value;
    var before = start > 0 && value[start - 1] !== "\n" ? "\n\n" : "";
    var piece = before + text + "\n\n";
    content.value = value.slice(0, start) + piece + value.slice(end);
    content.selectionStart = content.selectionEnd = start + piece.length;
    content.focus();
  }

  button.addEventListener("click", function () {
    if (!file.files || file.files.length === 0) {
      say("Choose an image first.", true);
      return;
    }
    var data = new FormData();
    data.append("csrf_token", token ? token.value : "");
    data.append("image", file.files[0]);
    data.append("alt", alt.value);
    button.disabled = true;
    say("Uploading…", false);
    fetch("/account/images", { method: "POST", body: data, credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        return response.json().catch(function () { return { error: "The upload failed (" + response.status + ")." }; });
      })
      .then(function (answer) {
        if (answer.markdown) {
          insert(answer.markdown);
          file.value = "";
          alt.value = "";
          say("Inserted.", false);
        } else {
          say(answer.error || "The upload failed.", true);
        }
      })
      .catch(function () { say("The upload failed: check your connection.", true); })
      .then(function () { button.disabled = false; });
  });
})();
