/* After a form comes back with errors, start keyboard and screen-reader users at the summary of
   what to fix ([data-error-summary], tabindex="-1") instead of at the top of the page. Nothing
   here depends on the reading direction; without JavaScript the summary is still read out as an
   alert and stays first in the form. */
(function () {
  "use strict";
  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) { return; }
    if (!summary.hasAttribute("tabindex")) { summary.setAttribute("tabindex", "-1"); }
    summary.focus();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", focusSummary);
  } else {
    focusSummary();
  }
}());
