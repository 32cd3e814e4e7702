// CourtFlow's own script: behaviour that would otherwise be inline (the Content-Security-Policy
// runs no inline script or on…= handler). Loaded with defer on every page (templates/base.html).
"use strict";

// Buttons marked data-print print the page.
document.addEventListener("click", (event) => {
  if (event.target instanceof Element && event.target.closest("[data-print]")) {
    window.print();
  }
});
