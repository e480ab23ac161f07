(function () {
  "use strict";
  /* The scenario window, one question at a time; the page without this script is the plain list. */
  var form = document.querySelector("[data-scenario]");
  if (!form) return;
  var steps = Array.prototype.slice.call(form.querySelectorAll(".scenario-q"));
  var result = document.querySelector(".scenario-result");
  if (!steps.length) return;
  var links = {};
  document.querySelectorAll(".guide-table.items a").forEach(function (a) {
    links[a.getAttribute("href").split("/")[2]] = a;
  });
  form.querySelectorAll("input[type=radio]").forEach(function (r) { r.hidden = false; });
  form.querySelectorAll("[data-answer] a").forEach(function (a) { a.hidden = true; });
  form.querySelectorAll("[data-answer]").forEach(function (li) {
    Array.prototype.forEach.call(li.childNodes, function (n) {
      if (n.nodeType === 3 && n.textContent.indexOf("：") >= 0) n.textContent = "";
      if (n.nodeType === 3 && /无需另外办理事项|、/.test(n.textContent)) n.textContent = "";
    });
  });
  function show(i) { steps.forEach(function (s, j) { s.hidden = j !== i; }); }
  function finish() {
    var codes = [];
    form.querySelectorAll("input[type=radio]:checked").forEach(function (r) {
      (r.dataset.items || "").split(" ").forEach(function (c) { if (c && codes.indexOf(c) < 0) codes.push(c); });
    });
    result.textContent = "";
    var h = document.createElement("h2");
    h.textContent = codes.length ? "您需要办理以下事项" : "根据您的回答，无需另外办理事项";
    result.appendChild(h);
    var ul = document.createElement("ul");
    codes.forEach(function (c) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = "/guides/" + c + "/";
      a.textContent = links[c] ? links[c].textContent : c;
      li.appendChild(a); ul.appendChild(li);
    });
    result.appendChild(ul);
    var again = document.createElement("button");
    again.type = "button"; again.textContent = "重新选择";
    again.addEventListener("click", function () { form.reset(); result.textContent = ""; show(0); });
    result.appendChild(again);
    steps.forEach(function (s) { s.hidden = true; });
  }
  form.addEventListener("change", function (ev) {
    var step = ev.target.closest(".scenario-q");
    var i = steps.indexOf(step);
    if (i + 1 < steps.length) show(i + 1); else finish();
  });
  show(0);
})();
