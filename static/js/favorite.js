// The post page's favourite button: toggles without reloading the page. Without JavaScript the
// form posts and the page comes back with the new count.
(function () {
  "use strict";
  var form = document.querySelector(".favorite-form");
  if (!form || !window.fetch || !window.FormData) return;
  var button = form.querySelector("button");
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    button.disabled = true;
    fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (answer) {
        form.action = answer.favorited ? form.dataset.unfavorite : form.dataset.favorite;
        button.setAttribute("aria-pressed", answer.favorited ? "true" : "false");
        form.querySelector(".favorite-mark").textContent = answer.favorited ? "★" : "☆";
        form.querySelector(".favorite-label").textContent = answer.favorited ? "Favourited" : "Favourite";
        form.querySelector(".favorite-count").textContent = String(answer.count);
      })
      .catch(function () { form.submit(); })
      .then(function () { button.disabled = false; });
  });
})();
