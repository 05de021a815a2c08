// leakmap live page: draws what the live view's server sends, and sets steps.
// Every captured string goes into the page through textContent, never as markup; nothing is
// fetched but this server's own "events" stream and "marks" (relative URLs: the token's path).
"use strict";
(function () {
  var MAX_ROWS = 200;
  var world = document.getElementById("world");
  var buckets = JSON.parse(world.getAttribute("data-buckets"));
  var findingsBody = document.querySelector("#findings tbody");
  var stream = null;

  function el(tag, text, className) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) { node.textContent = String(text); }
    if (className) { node.className = className; }
    return node;
  }

  function cell(row, text, className) {
    var td = el("td", text, className);
    row.appendChild(td);
    return td;
  }

  function clock(seconds) {
    if (seconds === null || seconds === undefined) { return "–"; }
    return new Date(seconds * 1000).toLocaleTimeString();
  }

  function countryName(code) {
    if (!code || code === "unknown") { return "unknown"; }
    var shape = document.getElementById("map-" + code);
    return shape ? shape.getAttribute("data-name") : code;
  }

  function countryText(code, local) {
    if (!code) { return local ? "local network" : "unknown"; }
    return code + " " + countryName(code);
  }

  function level(count) {
    if (!count) { return 0; }
    for (var i = 0; i < buckets.length; i++) {
      var low = buckets[i][0], high = buckets[i][1];
      if (count >= low && (high === null || count <= high)) { return i + 1; }
    }
    return buckets.length;
  }

  function setStatus(text, kind) {
    var status = document.getElementById("status");
    status.textContent = text;
    status.className = "status " + kind;
  }

  // --- findings ----------------------------------------------------------------------------

  function findingRow(f) {
    var row = el("tr", null, f.placeholder ? "placeholder" : "");
    row.setAttribute("data-n", f.n);
    cell(row, clock(f.started));
    cell(row, f.step === null ? "before any mark" : f.step, f.step === null ? "muted text" : "text");
    var prop = cell(row, f.label);
    prop.appendChild(el("code", " " + f.property, "muted small"));
    if (f.placeholder) { prop.appendChild(el("span", " placeholder", "tag")); }
    cell(row, f.host, "host text");
    var owner = cell(row, f.owner || "–", "text");
    if (f.owner_country) { owner.appendChild(el("span", " " + f.owner_country, "cc")); }
    var country = cell(row, countryText(f.country, f.local), "text");
    if (f.org) { country.appendChild(el("div", f.org, "muted small text")); }
    cell(row, f.encoding, "text");
    var value = cell(row, "");
    value.appendChild(el("code", f.value, "value"));
    var where = cell(row, f.location + (f.path ? ": " : ""), "text");
    if (f.path) { where.appendChild(el("code", f.path)); }
    if (f.plaintext) { where.appendChild(el("span", " no TLS", "tag bad")); }
    return row;
  }

  function showFindings(list, replace) {
    if (replace) { findingsBody.textContent = ""; }
    // The list comes newest first: insert from the oldest so the newest ends on top.
    for (var i = list.length - 1; i >= 0; i--) {
      var row = findingRow(list[i]);
      if (!replace) { row.classList.add("new"); }
      findingsBody.insertBefore(row, findingsBody.firstChild);
    }
    while (findingsBody.rows.length > MAX_ROWS) {
      findingsBody.deleteRow(findingsBody.rows.length - 1);
    }
    document.getElementById("no-findings").hidden = findingsBody.rows.length > 0;
  }

  // --- the other parts (sent whole every time: they are small) ------------------------------

  function showCounters(c, behind) {
    var list = document.getElementById("counters");
    list.textContent = "";
    [
      [c.flows, "flow analysed", "flows analysed"],
      [c.findings, "finding", "findings"],
      [c.properties, "personal property", "personal properties"],
      [c.countries, "country receiving them", "countries receiving them"],
      [c.hosts, "host", "hosts"],
      [c.tls_failures, "TLS failure", "TLS failures", c.tls_failures > 0],
      [c.websocket_messages, "WebSocket message", "WebSocket messages"],
      [c.notes, "decoder note", "decoder notes"]
    ].forEach(function (item) {
      var li = el("li", null, item[3] ? "bad" : "");
      li.appendChild(el("span", item[0], "n"));
      li.appendChild(document.createTextNode(item[0] === 1 ? item[1] : item[2]));
      list.appendChild(li);
    });
    if (behind) {
      var late = el("li", null, "warn");
      late.appendChild(el("span", behind, "n"));
      late.appendChild(document.createTextNode(
        behind === 1 ? "flow stored, not yet analysed" : "flows stored, not yet analysed"));
      list.appendChild(late);
    }
  }

  function showSteps(steps, refiled, hidden) {
    var body = document.querySelector("#steps tbody");
    body.textContent = "";
    var current = "before any mark";
    steps.forEach(function (s, index) {
      if (index === 1 && hidden) {
        var more = el("tr", null, "muted");
        var note = cell(more, hidden + " earlier steps (leakmap mark SESSION --list)");
        note.colSpan = 5;
        body.appendChild(more);
      }
      var name = s.label === null ? "before any mark" : s.label;
      if (s.current) { current = name; }
      var row = el("tr", null, s.current ? "current" : "");
      cell(row, name, s.label === null ? "muted text" : "text");
      cell(row, s.at === null ? "start" : clock(s.at) + (s.source ? " (" + s.source + ")" : ""));
      cell(row, s.findings);
      cell(row, s.properties.join(", ") || "–", "text");
      cell(row, s.countries.join(", ") || "–", "text");
      body.appendChild(row);
    });
    document.getElementById("current-step").textContent = current;
    document.getElementById("refiled").hidden = !refiled;
  }

  function showMap(countries) {
    var unplaced = [];
    Object.keys(countries).forEach(function (code) {
      var entry = countries[code];
      var shape = document.getElementById("map-" + code);
      var dot = document.getElementById("dot-" + code);
      if (!shape && !dot) {
        if (code !== "unknown" && entry.properties) { unplaced.push(code); }
        return;
      }
      var lvl = level(entry.properties);
      var title = countryName(code) + ": " + entry.properties + " personal " +
        (entry.properties === 1 ? "property" : "properties") + ", " + entry.flows + " flows";
      if (shape) {
        shape.setAttribute("class", "land l" + lvl);
        shape.querySelector("title").textContent = title;
      }
      if (dot) {
        dot.setAttribute("class", "dot l" + lvl);
        dot.querySelector("title").textContent = title;
      }
    });
    document.getElementById("unplaced").textContent =
      unplaced.length ? "Not on the map: " + unplaced.join(", ") + ". " : "";
  }

  function showMatrix(matrix) {
    var table = document.getElementById("matrix-table");
    var head = table.tHead.rows[0];
    while (head.cells.length > 1) { head.deleteCell(1); }
    matrix.countries.forEach(function (code) {
      var th = el("th", code === "unknown" ? "?" : code);
      th.title = countryName(code);
      head.appendChild(th);
    });
    var body = table.tBodies[0];
    body.textContent = "";
    matrix.properties.forEach(function (p) {
      var row = el("tr");
      var th = el("th", p.label);
      th.title = p.property;
      row.appendChild(th);
      var cells = matrix.cells[p.property] || {};
      matrix.countries.forEach(function (code) {
        var count = cells[code];
        cell(row, count ? count : "", count ? "hit" : "");
      });
      body.appendChild(row);
    });
  }

  function showTls(failures) {
    var body = document.querySelector("#tls tbody");
    body.textContent = "";
    failures.forEach(function (t) {
      var row = el("tr");
      cell(row, t.host, "host text");
      cell(row, t.server_ip || "–", "ips");
      cell(row, countryText(t.country, false), "text");
      cell(row, t.reason, "text");
      cell(row, t.count);
      cell(row, clock(t.last));
      body.appendChild(row);
    });
    document.getElementById("no-tls").hidden = failures.length > 0;
  }

  function showNotes(notes, total) {
    var list = document.getElementById("notes-list");
    list.textContent = "";
    notes.slice().reverse().forEach(function (note) { list.appendChild(el("li", note, "text")); });
    if (total > notes.length) {
      list.appendChild(el("li", (total - notes.length) + " older notes (the report lists them)",
        "muted"));
    }
    if (!total) { list.appendChild(el("li", "none so far", "muted")); }
  }

  function show(payload) {
    var s = payload.session;
    if (s.app) {
      document.getElementById("session-app").textContent =
        s.app + (s.app_version ? " " + s.app_version : "");
    }
    var states = {
      waiting: ["waiting for the capture to start recording", "waiting"],
      recording: ["live: recording", "live"],
      ended: ["the capture has ended", "ended"]
    };
    var state = states[payload.status] || [payload.status, "waiting"];
    setStatus(state[0], state[1]);
    showFindings(payload.findings, payload.kind === "snapshot");
    showCounters(payload.counters, payload.counters.behind);
    showSteps(payload.steps, payload.refiled, payload.steps_hidden);
    showMap(payload.countries);
    showMatrix(payload.matrix);
    showTls(payload.tls_failures);
    showNotes(payload.notes, payload.counters.notes);
  }

  function listen() {
    stream = new EventSource("events");
    ["snapshot", "update"].forEach(function (kind) {
      stream.addEventListener(kind, function (event) { show(JSON.parse(event.data)); });
    });
    stream.addEventListener("error", function () {
      setStatus("not connected: has the capture ended? (retrying)", "ended");
    });
  }

  // --- steps ---------------------------------------------------------------------------------

  function mark(label) {
    var result = document.getElementById("mark-result");
    result.textContent = "marking…";
    fetch("marks", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ label: label }),
      credentials: "same-origin",
      cache: "no-store"
    }).then(function (response) {
      return response.json().then(function (data) { return [response.ok, data]; });
    }).then(function (answer) {
      if (answer[0]) {
        result.textContent = "Step “" + answer[1].label + "” from " + clock(answer[1].at) + ".";
        document.getElementById("mark-label").value = "";
      } else {
        result.textContent = "Not marked: " + (answer[1].error || "refused");
      }
    }).catch(function () {
      result.textContent = "Not marked: the live view does not answer.";
    });
  }

  document.getElementById("mark-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var label = document.getElementById("mark-label").value.trim();
    if (label) { mark(label); }
  });
  document.querySelectorAll(".quick-step").forEach(function (button) {
    button.addEventListener("click", function () { mark(button.getAttribute("data-label")); });
  });

  listen();
})();
