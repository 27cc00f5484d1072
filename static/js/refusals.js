// Shows why an htmx action was refused, next to what the user clicked.
//
// htmx leaves the page as it was when an answer is 4xx/5xx, so without this a
// refused action looks like a click that did nothing. The server answers a
// refusal with `core/_refusal.html` (apps/core/htmx.py); any other failing
// answer gets a short message by its status. Text only: nothing from the
// answer is inserted as HTML.
(function () {
  "use strict";

  var GENERIC = {
    400: "This could not be saved. Check the values and try again.",
    403: "Your role on this care team does not allow that action.",
    404: "This no longer exists or is not visible to you. Reload the page.",
    409: "This changed since the page was loaded. Reload the page and try again.",
  };
  var SERVER = "The server could not finish this action. Reload the page to see what was saved.";
  var OFFLINE = "The server could not be reached: nothing was sent. Try again.";

  function anchorFor(element) {
    if (!element || !element.closest) {
      return null;
    }
    return element.closest("form") || element;
  }

  function readRefusal(xhr) {
    var text = xhr && xhr.responseText;
    if (!text || !xhr.getResponseHeader("X-Refusal")) {
      return null;
    }
    var doc = new DOMParser().parseFromString(text, "text/html");
    var box = doc.querySelector("[data-refusal]");
    if (!box) {
      return null;
    }
    var message = box.querySelector(".refusal-message");
    return {
      message: message ? message.textContent.trim() : "",
      lines: Array.prototype.map.call(box.querySelectorAll(".refusal-lines li"), function (li) {
        return li.textContent.trim();
      }),
    };
  }

  function clear(anchor) {
    var next = anchor && anchor.nextElementSibling;
    if (next && next.classList.contains("refusal-alert")) {
      next.remove();
    }
  }

  function show(anchor, refusal) {
    clear(anchor);
    var alert = document.createElement("div");
    alert.className = "refusal-alert";
    alert.setAttribute("role", "alert");
    alert.setAttribute("aria-live", "assertive");
    var message = document.createElement("p");
    message.textContent = refusal.message;
    alert.appendChild(message);
    if (refusal.lines.length) {
      var list = document.createElement("ul");
      refusal.lines.forEach(function (line) {
        var item = document.createElement("li");
        item.textContent = line;
        list.appendChild(item);
      });
      alert.appendChild(list);
    }
    anchor.insertAdjacentElement("afterend", alert);
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    clear(anchorFor(event.detail.elt));
  });

  document.addEventListener("htmx:responseError", function (event) {
    var anchor = anchorFor(event.detail.elt);
    if (!anchor) {
      return;
    }
    var xhr = event.detail.xhr;
    var refusal = readRefusal(xhr) || {
      message: GENERIC[xhr.status] || (xhr.status >= 500 ? SERVER : GENERIC[400]),
      lines: [],
    };
    show(anchor, refusal);
  });

  document.addEventListener("htmx:sendError", function (event) {
    var anchor = anchorFor(event.detail.elt);
    if (anchor) {
      show(anchor, { message: OFFLINE, lines: [] });
    }
  });
})();
