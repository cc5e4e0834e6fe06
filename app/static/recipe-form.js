// The recipe form's "More lines" button. Without JavaScript it submits the form, and the
// server sends it back with three more blank lines; with JavaScript it adds one blank line
// in place (no reload, nothing typed is lost), numbered after the others.
(function () {
  "use strict";
  var button = document.querySelector("[data-add-line]");
  var lines = document.getElementById("lines");
  if (!button || !lines) {
    return;
  }
  button.textContent = "Add a line";
  button.addEventListener("click", function (event) {
    var rows = lines.querySelectorAll(".line");
    if (rows.length === 0 || rows.length >= Number(lines.dataset.max)) {
      return; // let the server say what the limit is
    }
    event.preventDefault();
    var line = rows[rows.length - 1].cloneNode(true);
    line.querySelectorAll("[name]").forEach(function (field) {
      field.name = field.name.replace(/^item-\d+-/, "item-" + rows.length + "-");
      if (field.tagName === "SELECT") {
        field.selectedIndex = 0;
      } else {
        field.value = "";
      }
      field.removeAttribute("aria-invalid");
    });
    lines.appendChild(line);
    line.querySelector("select").focus();
  });
})();
