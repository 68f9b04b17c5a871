// groundcode review: keyboard shortcuts. Served by the app; no inline script (CSP).
(function () {
  "use strict";
  function typing(el) {
    return el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT");
  }
  function submit(form) {
    if (!form) return;
    // the action (accept / reject / none) is on the form's button: submit through it
    var button = form.querySelector('button[name="action"]');
    if (button) button.click();
    else if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  }
  function go(id) {
    var link = document.getElementById(id);
    if (link && link.getAttribute("href")) window.location.assign(link.getAttribute("href"));
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var help = document.getElementById("help");
    if (event.key === "Escape") {
      if (help) help.hidden = true;
      if (typing(document.activeElement)) document.activeElement.blur();
      return;
    }
    if (typing(document.activeElement)) return;
    var key = event.key;
    if (key >= "1" && key <= "5") {
      submit(document.querySelector('form.accept[data-index="' + key + '"]'));
    } else if (key === "x") {
      var open = document.querySelector('li.suggestion[data-decided=""] form.reject');
      submit(open);
    } else if (key === "0") {
      var none = document.querySelector('#none-form button[value="none"]');
      if (none) none.click();
    } else if (key === "a") {
      var picker = document.getElementById("code-picker");
      if (picker) picker.focus();
    } else if (key === "m") {
      var memo = document.getElementById("memo");
      if (memo) memo.focus();
    } else if (key === "n") {
      go("next");
    } else if (key === "p") {
      go("prev");
    } else if (key === "u") {
      submit(document.getElementById("undo-form"));
    } else if (key === "?") {
      if (help) help.hidden = !help.hidden;
    } else {
      return;
    }
    event.preventDefault();
  });
})();
