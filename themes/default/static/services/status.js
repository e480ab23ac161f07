(function () {
  "use strict";
  var S = window.GovsiteServices;
  function cell(tr, text) { var td = document.createElement("td"); td.textContent = text == null ? "" : text; tr.appendChild(td); }
  document.querySelectorAll('[data-svc="status"]').forEach(function (root) {
    var base = root.dataset.api + "/status";
    var lookup = root.querySelector('[data-action="lookup"]');
    var list = root.querySelector(".svc-list");
    var more = root.querySelector(".svc-more");
    var page = 0;
    lookup.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var d = S.formData(lookup);
      S.call(base, "/lookup?no=" + encodeURIComponent(d.no) + "&code=" + encodeURIComponent(d.code)).then(function (r) {
        var text = r.number + " " + r.item + "：" + r.status_label + "（" + r.department + "，受理日期 " + r.accepted_on +
          "，办结期限 " + r.deadline + (r.closed_on ? "，办结日期 " + r.closed_on : "") + "）";
        if (r.result) text += "\n办理结果：" + r.result;
        S.show(lookup, text, true);
      }, function (e) { S.show(lookup, e.message, false); });
    });
    function next() {
      page += 1;
      S.call(base, "/applications?page=" + page).then(function (r) {
        if (page === 1) list.textContent = "";
        r.items.forEach(function (a) {
          var tr = document.createElement("tr");
          [a.number, a.applicant, a.item, a.department, a.accepted_on, a.status_label].forEach(function (t) { cell(tr, t); });
          list.appendChild(tr);
        });
        if (more) more.hidden = page * r.page_size >= r.count;
      }, function (e) { list.textContent = e.message; });
    }
    if (more) more.addEventListener("click", next);
    next();
  });
})();
