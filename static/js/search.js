// "/" puts the keyboard in the header's patient search from anywhere on a page,
// unless the user is already typing in a field (where "/" is just a character).
(function () {
  "use strict";

  function typing(element) {
    if (!element) {
      return false;
    }
    var tag = element.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || element.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    if (typing(document.activeElement)) {
      return;
    }
    var box = document.getElementById("header-search-q");
    if (!box) {
      return;
    }
    event.preventDefault();
    box.focus();
    box.select();
  });
})();
