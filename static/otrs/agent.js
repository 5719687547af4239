/* Progressive enhancement for the agent interface. Every page works without this file;
   with it: partial page updates, autocomplete, select-all for bulk actions and keyboard
   shortcuts. Our own code, no framework. */
(function () {
  "use strict";

  function isTyping(target) {
    return target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
  }

  /* Partial updates: <form data-partial="#region"> or <a data-partial="#region">. The server
     answers with the full page as always; the region with the same id is taken from it and
     swapped in, so there is one template per page and no separate API. */
  function swapRegion(html, selector, url) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var fresh = doc.querySelector(selector);
    var current = document.querySelector(selector);
    if (!fresh || !current) { window.location.href = url; return; }
    current.replaceWith(fresh);
    var title = doc.querySelector("title");
    if (title) { document.title = title.textContent; }
    var messages = doc.querySelector(".messages");
    var here = document.querySelector(".messages");
    if (messages && here) { here.replaceWith(messages); }
    else if (messages) { var main = document.querySelector("main"); if (main) { main.prepend(messages); } }
    fresh.dispatchEvent(new CustomEvent("otrs:updated", { bubbles: true }));
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var selector = form.getAttribute("data-partial");
    if (!selector || !window.fetch) { return; }
    event.preventDefault();
    var method = (form.getAttribute("method") || "GET").toUpperCase();
    var url = form.action;
    var options = { method: method, headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" };
    if (method === "GET") {
      url += (url.indexOf("?") < 0 ? "?" : "&") + new URLSearchParams(new FormData(form)).toString();
    } else {
      options.body = new FormData(form);
    }
    fetch(url, options).then(function (response) {
      return response.text().then(function (text) { swapRegion(text, selector, response.url); });
    }).catch(function () { form.submit(); });
  });

  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a[data-partial]");
    if (!link || !window.fetch || event.metaKey || event.ctrlKey || event.shiftKey) { return; }
    event.preventDefault();
    fetch(link.href, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) { return response.text().then(function (text) {
        swapRegion(text, link.getAttribute("data-partial"), response.url);
        var nav = link.closest("nav");
        if (nav) {
          nav.querySelectorAll("[aria-current]").forEach(function (a) { a.removeAttribute("aria-current"); });
          link.setAttribute("aria-current", "page");
        }
        if (window.history && link.hasAttribute("data-push")) { window.history.pushState({}, "", response.url); }
      }); })
      .catch(function () { window.location.href = link.href; });
  });

  /* Select all: a checkbox with data-select-all="name" toggles every checkbox of that name. */
  document.addEventListener("change", function (event) {
    var box = event.target;
    var name = box.getAttribute && box.getAttribute("data-select-all");
    if (!name) { return; }
    var scope = box.closest("form") || document;
    scope.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (other) {
      other.checked = box.checked;
    });
  });

  /* Autocomplete: <input data-autocomplete="/url/?q="> fills a <datalist> from a JSON list
     of {value, label} the server returns for the typed text. */
  var timers = new WeakMap();
  document.addEventListener("input", function (event) {
    var input = event.target;
    var source = input.getAttribute && input.getAttribute("data-autocomplete");
    if (!source || !window.fetch) { return; }
    clearTimeout(timers.get(input));
    timers.set(input, setTimeout(function () {
      var term = input.value.trim();
      if (term.length < 2) { return; }
      fetch(source + encodeURIComponent(term), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          var listId = input.getAttribute("list") || (input.id + "-suggestions");
          var list = document.getElementById(listId);
          if (!list) { list = document.createElement("datalist"); list.id = listId; input.after(list); input.setAttribute("list", listId); }
          list.replaceChildren.apply(list, (data.results || []).map(function (item) {
            var option = document.createElement("option");
            option.value = item.value;
            option.label = item.label || item.value;
            return option;
          }));
        });
    }, 200));
  });

  /* Menus (<details class="menu">): one open at a time; a click elsewhere or Escape closes
     it. Without this file they open and close on their own summary, as <details> do. */
  function closeMenus(except) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (menu !== except) { menu.removeAttribute("open"); }
    });
  }
  document.addEventListener("click", function (event) {
    closeMenus(event.target.closest ? event.target.closest("details.menu") : null);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.querySelector("details.menu[open]");
    if (open) { closeMenus(null); open.querySelector("summary").focus(); }
  });

  /* HTML mail frames (sandboxed, no scripts in them) as tall as their content, so a short
     mail is not a tall empty box and a long one needs no second scroll bar. Without this
     file the frame has a moderate height and can be resized. */
  function fitFrame(frame) {
    try {
      var doc = frame.contentDocument;
      if (!doc || !doc.documentElement) { return; }
      // The root element's own height is its content's (scrollHeight would be at least the
      // frame's current height, so a frame could only grow).
      var height = Math.ceil(doc.documentElement.getBoundingClientRect().height);
      frame.style.height = Math.min(Math.max(height + 4, 48), 4000) + "px";
      frame.classList.add("fitted");
    } catch (error) { /* a frame we may not read keeps its CSS height */ }
  }
  function fitFrames(root) {
    root.querySelectorAll("iframe.html-body").forEach(function (frame) {
      frame.addEventListener("load", function () { fitFrame(frame); });
      if (frame.contentDocument && frame.contentDocument.readyState === "complete") { fitFrame(frame); }
    });
  }
  fitFrames(document);
  document.addEventListener("otrs:updated", function (event) { fitFrames(event.target); });

  /* Presence (tickets/views/presence.py): the #presence region of the zoom and the composer
     posts its own hidden form every data-presence-poll seconds, which renews the agent's
     presence, and swaps in the answer: who else is on the ticket, what others changed since
     the page opened. A hidden tab does not renew, so it drops out after a while. */
  function renewPresence() {
    var region = document.getElementById("presence");
    var form = region && region.querySelector("form.presence-form");
    if (!form || !window.fetch) { return; }
    var seconds = parseInt(region.getAttribute("data-presence-poll"), 10) || 20;
    setTimeout(function () {
      if (document.hidden) { renewPresence(); return; }
      fetch(form.action, { method: "POST", body: new FormData(form), headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (text) {
          var fresh = text && new DOMParser().parseFromString(text, "text/html").getElementById("presence");
          var current = document.getElementById("presence");
          if (fresh && current) { current.replaceWith(fresh); }
          renewPresence();
        })
        .catch(function () { renewPresence(); });
    }, seconds * 1000);
  }
  renewPresence();

  /* Keyboard shortcuts: "/" focuses the search; any element with data-shortcut="x" is
     activated by pressing x; "g" then x follows the menu link with data-nav-shortcut="x"
     (the apps' menu entries declare their letters). Never while typing. */
  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.metaKey || event.ctrlKey || event.altKey || isTyping(event.target)) { return; }
    if (event.key === "/") {
      var search = document.querySelector("#global-search");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    if (pendingG) {
      pendingG = false;
      var nav = /^[a-z0-9]$/i.test(event.key) && document.querySelector('[data-nav-shortcut="' + event.key + '"]');
      if (nav) { event.preventDefault(); nav.click(); }
      return;
    }
    if (event.key === "g") { pendingG = true; setTimeout(function () { pendingG = false; }, 1200); return; }
    var target = document.querySelector('[data-shortcut="' + event.key + '"]');
    if (target) { event.preventDefault(); target.focus(); target.click(); }
  });
})();
