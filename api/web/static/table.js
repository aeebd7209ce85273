// Filters a table's rows as one types: <input data-filter-table="ID"> hides the rows of table#ID whose text
// does not contain every word typed. Shared by the pages and inlined into the report.
(function () {
  "use strict";
  document.addEventListener("input", function (event) {
    const input = event.target;
    if (!input.matches || !input.matches("[data-filter-table]")) return;
    const table = document.getElementById(input.dataset.filterTable);
    if (!table) return;
    const words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    table.querySelectorAll("tbody tr").forEach(function (row) {
      const text = row.textContent.toLowerCase();
      const match = words.every(function (word) { return text.includes(word); });
      row.hidden = !match;
      if (match) shown += 1;
    });
    const count = document.getElementById(input.dataset.filterTable + "-count");
    if (count) count.textContent = shown + " shown";
  });
})();
