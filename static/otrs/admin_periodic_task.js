/* The periodic task form of the admin (django-celery-beat): the crontab field's help text
   shows the chosen schedule in words. Served as a file, since the Content-Security-Policy
   runs no inline script; the words come from a JSON data block on the page. */
(function () {
  "use strict";
  function start() {
    var data = document.getElementById("readable-crontabs");
    var select = document.getElementById("id_crontab");
    var help = document.querySelector(".field-crontab .help");
    var translation = document.querySelector(".field-crontab_translation");
    if (translation) translation.hidden = true;
    if (!data || !select || !help) return;
    var readable = JSON.parse(data.textContent);
    var original = help.textContent;
    function update() {
      var words = readable[select.value];
      help.textContent = words ? original + " — " + words : original;
    }
    select.addEventListener("change", update);
    update();
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
