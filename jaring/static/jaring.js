/* Jaring's own page behaviour. The Content-Security-Policy allows no inline script and no inline
   event handler (onclick=...): pages mark elements with data- attributes and this file, loaded
   with `defer` from base.html, wires them up. */
(function () {
  "use strict";

  // <button data-print>: print the page (the dashboard, a simulation).
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
})();
