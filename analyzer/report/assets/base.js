// leakmap report behaviour: sortable, filterable, paginated tables and lists.
// Reads only the page itself; fetches nothing, evaluates nothing (the CSP forbids it anyway).
"use strict";
(function () {
  var lists = {};

  function itemsOf(container) {
    if (container.tagName === "TABLE") {
      return Array.prototype.slice.call(container.tBodies[0] ? container.tBodies[0].rows : []);
    }
    return Array.prototype.slice.call(container.querySelectorAll(":scope > .pg-item"));
  }

  function List(container) {
    this.container = container;
    this.size = parseInt(container.getAttribute("data-page-size") || "0", 10) || 0;
    this.page = 0;
    this.query = "";
    this.printing = false;
    this.pager = null;
    if (this.size) {
      this.pager = document.createElement("div");
      this.pager.className = "pager";
      container.parentNode.insertBefore(this.pager, container.nextSibling);
      if (container.parentNode.className === "scroll") {
        container.parentNode.parentNode.insertBefore(this.pager, container.parentNode.nextSibling);
      }
    }
    this.render();
  }

  List.prototype.matching = function () {
    var query = this.query;
    return itemsOf(this.container).filter(function (item) {
      return !query || item.textContent.toLowerCase().indexOf(query) !== -1;
    });
  };

  List.prototype.pages = function (count) {
    return this.size ? Math.max(1, Math.ceil(count / this.size)) : 1;
  };

  List.prototype.render = function () {
    var all = itemsOf(this.container);
    var matching = this.matching();
    var pages = this.pages(matching.length);
    if (this.page >= pages) { this.page = pages - 1; }
    var first = this.size ? this.page * this.size : 0;
    var last = this.size && !this.printing ? first + this.size : Infinity;
    var shown = new Set(matching.slice(first, last));
    if (this.printing) { shown = new Set(matching); }
    all.forEach(function (item) { item.hidden = !shown.has(item); });
    var counter = document.querySelector('[data-count-for="' + this.container.id + '"]');
    if (counter) {
      counter.textContent = matching.length === all.length
        ? all.length + " entries" : matching.length + " of " + all.length + " entries";
    }
    this.renderPager(pages);
  };

  List.prototype.renderPager = function (pages) {
    if (!this.pager) { return; }
    var self = this;
    this.pager.textContent = "";
    if (pages <= 1) { return; }
    function button(label, page, disabled) {
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.disabled = disabled;
      b.addEventListener("click", function () { self.page = page; self.render(); });
      self.pager.appendChild(b);
    }
    button("‹ previous", this.page - 1, this.page === 0);
    var label = document.createElement("span");
    label.textContent = "page " + (this.page + 1) + " of " + pages;
    this.pager.appendChild(label);
    button("next ›", this.page + 1, this.page >= pages - 1);
    var all = document.createElement("button");
    all.type = "button";
    all.textContent = "show all";
    all.addEventListener("click", function () { self.size = 0; self.page = 0; self.render(); });
    this.pager.appendChild(all);
  };

  List.prototype.reveal = function (item) {
    var index = this.matching().indexOf(item);
    if (index === -1) { this.query = ""; this.clearInput(); index = this.matching().indexOf(item); }
    if (this.size && index !== -1) { this.page = Math.floor(index / this.size); }
    this.render();
  };

  List.prototype.clearInput = function () {
    var input = document.querySelector('input[data-filter="' + this.container.id + '"]');
    if (input) { input.value = ""; }
  };

  function sortValue(row, column) {
    var cell = row.cells[column];
    if (!cell) { return ""; }
    var value = cell.getAttribute("data-v");
    return value === null ? cell.textContent.trim() : value;
  }

  function makeSortable(table) {
    var headers = table.tHead ? table.tHead.rows[0].cells : [];
    Array.prototype.forEach.call(headers, function (th, column) {
      if (!th.hasAttribute("data-sort")) { return; }
      th.tabIndex = 0;
      function sort() {
        var ascending = th.getAttribute("aria-sort") !== "ascending";
        var numeric = th.getAttribute("data-type") === "num";
        Array.prototype.forEach.call(headers, function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = sortValue(a, column), y = sortValue(b, column);
          var order = numeric ? (parseFloat(x) || 0) - (parseFloat(y) || 0)
            : x.localeCompare(y, undefined, { numeric: true, sensitivity: "base" });
          return ascending ? order : -order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
        var list = lists[table.id];
        if (list) { list.page = 0; list.render(); }
      }
      th.addEventListener("click", sort);
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sort(); }
      });
    });
  }

  function revealHash() {
    var id = decodeURIComponent(location.hash.slice(1));
    var target = id && document.getElementById(id);
    if (!target) { return; }
    Object.keys(lists).forEach(function (key) {
      var list = lists[key];
      itemsOf(list.container).forEach(function (item) {
        if (item === target || item.contains(target)) { list.reveal(item); }
      });
    });
    var details = target.querySelector("details");
    if (details) { details.open = true; }
    target.scrollIntoView();
  }

  document.querySelectorAll("table[data-sortable]").forEach(makeSortable);
  document.querySelectorAll("[data-page-size], table[data-sortable]").forEach(function (node) {
    if (node.id && !lists[node.id]) { lists[node.id] = new List(node); }
  });
  document.querySelectorAll("input[data-filter]").forEach(function (input) {
    var list = lists[input.getAttribute("data-filter")];
    if (!list) { return; }
    input.addEventListener("input", function () {
      list.query = input.value.trim().toLowerCase();
      list.page = 0;
      list.render();
    });
  });
  window.addEventListener("hashchange", revealHash);
  if (location.hash) { revealHash(); }

  // Printing shows everything: every page of every list and every collapsed example.
  var closed = [];
  window.addEventListener("beforeprint", function () {
    Object.keys(lists).forEach(function (key) { lists[key].printing = true; lists[key].render(); });
    closed = Array.prototype.filter.call(document.querySelectorAll("details"), function (d) {
      return !d.open;
    });
    closed.forEach(function (d) { d.open = true; });
  });
  window.addEventListener("afterprint", function () {
    Object.keys(lists).forEach(function (key) { lists[key].printing = false; lists[key].render(); });
    closed.forEach(function (d) { d.open = false; });
    closed = [];
  });
})();
