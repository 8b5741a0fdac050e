// Sorting a results table by a column (click its header; again to reverse), and the schema
// browser's columns added to the query's SELECT.
(function () {
  "use strict";
  function value(cell) {
    const t = cell.textContent.trim();
    const n = Number(t);
    return t !== "" && !isNaN(n) ? n : t.toLowerCase();
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("table.sortable").forEach((table) => {
      const body = table.tBodies[0];
      table.querySelectorAll("thead th").forEach((th, i) => {
        th.style.cursor = "pointer";
        th.title = "sort by this column";
        th.addEventListener("click", () => {
          const down = th.getAttribute("data-sorted") !== "up";
          table.querySelectorAll("thead th").forEach((h) => h.removeAttribute("data-sorted"));
          th.setAttribute("data-sorted", down ? "up" : "down");
          const rows = [...body.rows];
          rows.sort((a, b) => {
            const x = value(a.cells[i]), y = value(b.cells[i]);
            const c = x < y ? -1 : x > y ? 1 : 0;
            return down ? c : -c;
          });
          rows.forEach((r) => body.appendChild(r));
        });
      });
    });
    const select = document.getElementById("select");
    document.querySelectorAll("a.column").forEach((a) =>
      a.addEventListener("click", (e) => {
        e.preventDefault();
        const c = a.getAttribute("data-column");
        select.value = select.value.trim() ? select.value.trim() + ", " + c : c;
        select.focus();
      })
    );
  });
})();
