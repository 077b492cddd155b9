(function () {
  function key(td) {
    if (!td) return '';
    var t = (td.getAttribute('data-sort') || td.textContent).trim();
    var m = t.match(/^[-+]?\d+(\.\d+)?/);
    return m ? parseFloat(m[0]) : t.toLowerCase();
  }
  function sortBy(table, col, th) {
    var body = table.tBodies[0];
    if (!body) return;
    var dir = th.getAttribute('data-dir') === 'asc' ? -1 : 1;
    Array.prototype.forEach.call(th.parentNode.cells, function (h) { h.removeAttribute('data-dir'); });
    th.setAttribute('data-dir', dir === 1 ? 'asc' : 'desc');
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = key(a.cells[col]), y = key(b.cells[col]);
      if (typeof x === typeof y) return (x < y ? -1 : x > y ? 1 : 0) * dir;
      return (typeof x === 'number' ? -1 : 1) * dir;
    });
    rows.forEach(function (r) { body.appendChild(r); });
  }
  document.querySelectorAll('table.t').forEach(function (table) {
    if (!table.tHead) return;
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, i) {
      th.classList.add('sortable');
      th.title = 'sort by this column (click again to reverse)';
      th.addEventListener('click', function () { sortBy(table, i, th); });
    });
  });
  document.querySelectorAll('input.filter').forEach(function (inp) {
    var table = document.getElementById(inp.getAttribute('data-for'));
    if (!table || !table.tBodies[0]) return;
    var bar = inp.closest('.filterbar'), count = bar && bar.querySelector('.count');
    inp.addEventListener('input', function () {
      var words = inp.value.toLowerCase().split(/\s+/).filter(Boolean), shown = 0;
      Array.prototype.forEach.call(table.tBodies[0].rows, function (r) {
        var text = r.textContent.toLowerCase();
        var ok = words.every(function (w) { return text.indexOf(w) >= 0; });
        r.style.display = ok ? '' : 'none';
        shown += ok ? 1 : 0;
      });
      if (count) count.textContent = shown + ' of ' + table.tBodies[0].rows.length + ' rows';
    });
  });
})();

(function () {
  function show(on) { document.body.classList.toggle('abstract-registers', on);
    document.querySelectorAll('.absreg-toggle').forEach(function (b) { b.checked = on; }); }
  document.querySelectorAll('.absreg-toggle').forEach(function (b) {
    b.addEventListener('change', function () { show(b.checked); }); });
})();
