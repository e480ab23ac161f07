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
  // The column menu (ADR 0135): the page carries the fixed links, which work without JavaScript
  // (全部栏目 is the 网站地图); the editors' columns come from the site's one shared menu file, so a
  // column edit rewrites that file and not every page.
  var nav = document.querySelector("[data-nav-src]");
  if (nav && window.fetch) {
    fetch(nav.getAttribute("data-nav-src"), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : ""; })
      .then(function (html) { if (html.indexOf('class="main-nav"') >= 0) { nav.innerHTML = html; } })
      .catch(function () {});
  }
  var buttons = document.querySelectorAll("[data-print]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function () { window.print(); });
  }
})();
