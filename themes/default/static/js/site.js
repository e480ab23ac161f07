/* Larger-text mode (适老化) that persists in localStorage, and the print button. No external code. */
(function () {
  var KEY = "govsite-large-text";
  var root = document.documentElement;
  var toggle = document.getElementById("large-text-toggle");
  function apply(on) {
    root.classList.toggle("large-text", on);
    if (toggle) {
      toggle.setAttribute("aria-pressed", on ? "true" : "false");
      toggle.textContent = on ? "标准字号" : "大字版";
    }
  }
  var stored = false;
  try { stored = localStorage.getItem(KEY) === "1"; } catch (e) {}
  apply(stored);
  if (toggle) {
    toggle.addEventListener("click", function () {
      var on = !root.classList.contains("large-text");
      apply(on);
      try { localStorage.setItem(KEY, on ? "1" : "0"); } catch (e) {}
    });
  }
  var buttons = document.querySelectorAll("[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
