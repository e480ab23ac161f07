(function () {
  "use strict";
  var S = window.GovsiteServices;
  var root = document.querySelector('[data-svc="appointments"]');
  if (!S || !root) return;
  var base = root.dataset.api + "/appointments";
  var book = root.querySelector('[data-action="book"]');
  var manage = root.querySelector('[data-action="manage"]');
  var daySelect = book.elements.day, slotsBox = book.querySelector(".appt-slots");
  var days = [];
  function clearSlots(text) {
    slotsBox.innerHTML = "<legend>时段</legend>";
    var s = document.createElement("span"); s.className = "appt-hint"; s.textContent = text; slotsBox.appendChild(s);
  }
  function showSlots() {
    var day = days.filter(function (d) { return d.day === daySelect.value; })[0];
    if (!day) { clearSlots("请先选择日期"); return; }
    slotsBox.innerHTML = "<legend>时段</legend>";
    day.slots.forEach(function (s) {
      var label = document.createElement("label"), r = document.createElement("input");
      r.type = "radio"; r.name = "start"; r.value = s.start; r.disabled = s.left <= 0;
      label.appendChild(r);
      label.appendChild(document.createTextNode(" " + s.start + "–" + s.end + (s.left > 0 ? "（余 " + s.left + "）" : "（已约满）")));
      if (s.left <= 0) label.className = "full";
      slotsBox.appendChild(label);
    });
  }
  function loadDays() {
    var id = book.elements.window.value;
    daySelect.innerHTML = ""; daySelect.disabled = true; clearSlots("请先选择日期");
    if (!id) return;
    S.call(base, "/windows/" + id + "/days?days=14").then(function (list) {
      days = list;
      if (!list.length) { daySelect.innerHTML = "<option value=''>近期无可预约日期</option>"; return; }
      list.forEach(function (d) {
        var left = d.slots.reduce(function (n, s) { return n + s.left; }, 0), o = document.createElement("option");
        o.value = d.day; o.textContent = d.day + (left ? "（余 " + left + "）" : "（已约满）");
        daySelect.appendChild(o);
      });
      daySelect.disabled = false; showSlots();
    }, function (e) { S.show(book, e.message, false); });
    S.call(base, "/windows").then(function (ws) {
      var w = ws.filter(function (x) { return String(x.id) === id; })[0], dl = document.getElementById("appt-items");
      dl.innerHTML = "";
      (w ? w.items : []).forEach(function (i) { var o = document.createElement("option"); o.value = i; dl.appendChild(o); });
    });
  }
  book.elements.window.addEventListener("change", loadDays);
  daySelect.addEventListener("change", showSlots);
  S.loadChallenge(book, base);
  book.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var d = S.formData(book);
    if (!d.start) { S.show(book, "请选择时段", false); return; }
    d.window = parseInt(d.window, 10);
    S.guardedSubmit(book, base, "/bookings", d, function (r) {
      S.show(book, "预约成功。预约号：" + r.number + "，预约码：" + r.code + "（请妥善保存，取消或改约时需要）。" +
        r.day + " " + r.start + "–" + r.end + "，" + r.window + "，地点：" + r.place + "。", true);
      S.loadChallenge(book, base); loadDays();
    });
  });
  var op = "lookup";
  manage.querySelectorAll("button[name=op]").forEach(function (b) { b.addEventListener("click", function () { op = b.value; }); });
  manage.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var d = S.formData(manage), no = encodeURIComponent(d.number), req;
    if (op === "cancel") req = S.call(base, "/bookings/" + no + "/cancel", { method: "POST", body: { code: d.code } });
    else if (op === "change") req = S.call(base, "/bookings/" + no + "/change", { method: "POST", body: { code: d.code, day: d.day, start: d.start } });
    else req = S.call(base, "/bookings/" + no + "?code=" + encodeURIComponent(d.code));
    req.then(function (r) {
      S.show(manage, "预约号 " + r.number + "：" + r.status_label + "，" + r.day + " " + r.start + "–" + r.end + "，" + r.window + "。", true);
    }, function (e) { S.show(manage, e.message, false); });
  });
})();
