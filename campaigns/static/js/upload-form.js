/* Upload form: show only the fields of the kind of file chosen ("Incident points" or "Counts").
   Progressive enhancement: without JavaScript every fieldset stays visible, each with a legend
   saying which kind it is for, and the server ignores the fields of the other kind. With it, the
   fieldsets (and template notes) marked data-kind-fields for another kind are hidden, and shown
   again as soon as the choice changes. No library, no network request. */
(function () {
  "use strict";
  function setUp() {
    var radios = document.querySelectorAll('input[type="radio"][name="incident_kind"]');
    if (!radios.length) { return; }
    var parts = document.querySelectorAll("[data-kind-fields]");
    function chosen() {
      for (var i = 0; i < radios.length; i += 1) {
        if (radios[i].checked) { return radios[i].value; }
      }
      return "points";
    }
    function update() {
      var kind = chosen();
      for (var i = 0; i < parts.length; i += 1) {
        var show = parts[i].getAttribute("data-kind-fields") === kind;
        parts[i].hidden = !show;
        if (parts[i].tagName === "FIELDSET") { parts[i].disabled = !show; }
      }
    }
    for (var i = 0; i < radios.length; i += 1) {
      radios[i].addEventListener("change", update);
    }
    update();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
}());
