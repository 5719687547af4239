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

  /* FAQ items while an agent writes (tickets/screens/_faq_insert.html): typing in the FAQ
     search box lists matching items, typing the text suggests items for it (full text over
     title, keywords and fields). Each hit's "Insert" is the same submit button as without
     JavaScript, so the insert is recorded the same way; only the list is live. */
  var faqTimers = new WeakMap();
  function faqHit(item, list) {
    var li = document.createElement("li");
    var label = document.createElement("span");
    var link = document.createElement("a");
    link.href = item.url;
    link.textContent = item.number;
    label.append(link, " " + item.title);
    if (item.internal) {
      var badge = document.createElement("span");
      badge.className = "badge";
      badge.textContent = list.getAttribute("data-label-internal");
      label.append(" ", badge);
    }
    var button = document.createElement("button");
    button.className = "btn";
    button.type = "submit";
    button.name = "faq_insert";
    button.value = String(item.id);
    button.formNoValidate = true;
    button.textContent = list.getAttribute("data-label-insert");
    li.append(label, button);
    return li;
  }
  /* The search the box lists: Enter in another field then sends the form (the server runs a
     search typed but not listed yet instead, as for Enter in the box without this file). */
  function faqSearched(box, term) {
    var done = box.querySelector("input[name=faq_q_done]");
    if (!done) {
      done = document.createElement("input");
      done.type = "hidden";
      done.name = "faq_q_done";
      box.prepend(done);
    }
    done.value = term;
  }
  function faqSuggest(box, parameter, term) {
    var list = box.querySelector(".faq-insert-hits");
    if (!list) { return; }
    var url = box.getAttribute("data-suggest-url") + "?" + parameter + "=" + encodeURIComponent(term);
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : { items: [] }; })
      .then(function (data) {
        var items = data.items || [];
        list.replaceChildren.apply(list, items.map(function (item) { return faqHit(item, list); }));
        list.hidden = items.length === 0;
        if (parameter === "q") { faqSearched(box, term); }
      })
      .catch(function () {});
  }
  document.addEventListener("input", function (event) {
    var input = event.target;
    if (!window.fetch || !input.form) { return; }
    var box = input.form.querySelector(".faq-insert[data-suggest-url]");
    if (!box) { return; }
    var query = box.querySelector("input[name=faq_q]");
    var isQuery = input === query;
    if (!isQuery && !(input.name === "body" && input.tagName === "TEXTAREA")) { return; }
    if (!isQuery && query && query.value.trim()) { return; }  // a search typed wins
    clearTimeout(faqTimers.get(box));
    faqTimers.set(box, setTimeout(function () {
      var term = input.value.trim();
      if (isQuery ? term.length < 2 : term.length < 12) { return; }
      faqSuggest(box, isQuery ? "q" : "text", isQuery ? term : term.slice(-1500));
    }, isQuery ? 250 : 700));
  });

  /* Enter in the FAQ search box lists the hits at once instead of sending the form (without
     this file the form's default button runs the search on the server). */
  document.addEventListener("keydown", function (event) {
    var input = event.target;
    if (event.key !== "Enter" || !window.fetch || !input.form || input.name !== "faq_q") { return; }
    var box = input.closest(".faq-insert[data-suggest-url]");
    if (!box) { return; }
    event.preventDefault();
    clearTimeout(faqTimers.get(box));
    if (input.value.trim().length >= 2) { faqSuggest(box, "q", input.value.trim()); }
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

  /* Live counters: the body's data-counters-url answers {totals: {key: n}, queues: {id: n}};
     every [data-counter=key] shows its total (hidden at zero with data-counter-zero="hide"),
     every [data-queue-count=id] of the queue tree its number. Fetched on load and then every
     COUNTER_SECONDS while the tab is visible. */
  var COUNTER_SECONDS = 30;
  function showCounters(data) {
    var totals = data.totals || {}, queues = data.queues || {};
    document.querySelectorAll("[data-counter]").forEach(function (badge) {
      var n = totals[badge.getAttribute("data-counter")];
      if (typeof n !== "number") { return; }
      badge.textContent = n.toLocaleString(document.documentElement.lang || undefined);
      badge.hidden = n === 0 && badge.getAttribute("data-counter-zero") === "hide";
    });
    document.querySelectorAll("[data-queue-count]").forEach(function (count) {
      var n = queues[count.getAttribute("data-queue-count")] || 0;
      // The number is the text before the screen readers' "tickets".
      for (var i = 0; i < count.childNodes.length; i++) {
        var node = count.childNodes[i];
        if (node.nodeType === 3 && /\d/.test(node.data)) { node.data = String(n); break; }
      }
    });
  }
  function refreshCounters() {
    var url = document.body.getAttribute("data-counters-url");
    if (!url || !window.fetch) { return; }
    if (!document.hidden) {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) { if (data) { showCounters(data); } })
        .catch(function () { /* the next round tries again */ });
    }
    setTimeout(refreshCounters, COUNTER_SECONDS * 1000);
  }
  refreshCounters();

  /* Lists that refresh themselves: an element with an id and data-refresh="seconds" is
     fetched again from the page's address and swapped in, unless the agent is busy in it (a
     focused field or a ticked box) or the tab is hidden. Without this file the page has a
     refresh link. */
  function refreshRegions() {
    document.querySelectorAll("[data-refresh][id]").forEach(function (region) {
      var seconds = parseInt(region.getAttribute("data-refresh"), 10) || 60;
      setTimeout(function () { refreshRegion(region.id, seconds); }, seconds * 1000);
    });
  }
  function refreshRegion(id, seconds) {
    var region = document.getElementById(id);
    if (!region) { return; }
    var busy = document.hidden || region.contains(document.activeElement) || region.querySelector("input:checked");
    if (busy) { setTimeout(function () { refreshRegion(id, seconds); }, seconds * 1000); return; }
    fetch(window.location.href, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (text) {
        var fresh = text && new DOMParser().parseFromString(text, "text/html").getElementById(id);
        var current = document.getElementById(id);
        if (fresh && current && !current.contains(document.activeElement)) {
          current.replaceWith(fresh);
          fresh.dispatchEvent(new CustomEvent("otrs:updated", { bubbles: true }));
        }
      })
      .catch(function () { /* tried again below */ })
      .then(function () { setTimeout(function () { refreshRegion(id, seconds); }, seconds * 1000); });
  }
  refreshRegions();

  /* The shortcut help ("?"): the shortcuts page's list (the agent's own keys) in a modal
     dialog, with this page's own shortcuts (elements with data-shortcut) added. Without this
     file the user menu links to that page. */
  function showShortcutHelp() {
    var open = document.getElementById("shortcut-dialog");
    if (open) { if (!open.open) { open.showModal(); } return; }
    var link = document.querySelector("a[data-shortcut-help]");
    if (!link || !window.fetch) { return; }
    fetch(link.href, { headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
      .then(function (response) { return response.text(); })
      .then(function (text) {
        var help = new DOMParser().parseFromString(text, "text/html").getElementById("shortcut-help");
        if (!help || !window.HTMLDialogElement) { window.location.href = link.href; return; }
        var dialog = document.createElement("dialog");
        dialog.id = "shortcut-dialog";
        dialog.className = "shortcut-dialog";
        dialog.setAttribute("aria-labelledby", "shortcut-help-title");
        help.querySelector("#shortcut-help-title").classList.remove("visually-hidden");
        var own = help.querySelector("[data-page-shortcuts]");
        var list = own.querySelector("dl");
        document.querySelectorAll("[data-shortcut]").forEach(function (element) {
          var row = document.createElement("div");
          var key = document.createElement("dt");
          var kbd = document.createElement("kbd");
          var label = document.createElement("dd");
          kbd.textContent = element.getAttribute("data-shortcut");
          label.textContent = element.textContent.trim();
          key.append(kbd);
          row.append(key, label);
          list.append(row);
        });
        own.hidden = !list.children.length;
        help.querySelector("[data-dialog-close]").hidden = false;
        dialog.append(help);
        document.body.append(dialog);
        dialog.showModal();
      })
      .catch(function () { window.location.href = link.href; });
  }

  /* Composer (tickets/views/drafts.py): the form's draft tools (.composer-tools) carry the
     draft endpoint in data-draft-url; while the agent types, the form is saved there every
     DRAFT_SECONDS (the "Save draft" button does the same without JavaScript). */
  var DRAFT_SECONDS = 3;
  function setupDrafts(tools) {
    var form = tools.closest("form");
    if (!form || !form.querySelector("textarea[name=body]") || !window.fetch) { return; }
    var status = tools.querySelector(".draft-status");
    var timer = null;
    function saveDraft() {
      timer = null;
      var data = new FormData(form);
      data.delete("attachments");
      fetch(tools.getAttribute("data-draft-url"), { method: "POST", body: data, headers: { "X-Requested-With": "fetch" }, credentials: "same-origin" })
        .then(function (response) { return response.json(); })
        .then(function (answer) { if (status && answer.message) { status.textContent = answer.message; } })
        .catch(function () {});
    }
    form.addEventListener("input", function (event) {
      if (event.target.type === "file") { return; }
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(saveDraft, DRAFT_SECONDS * 1000);
    });
    form.addEventListener("submit", function () { if (timer) { clearTimeout(timer); timer = null; } });
  }
  document.querySelectorAll(".composer-tools[data-draft-url]").forEach(setupDrafts);

  /* Text modules, in the composer and on the new-ticket screens (data-text-modules): a module
     picked in the select goes in at the cursor at once, and "::keyword" and a space typed
     in the text is replaced by that module's text. The modules come in the page
     (#text-modules); on a new ticket a module bound to queues is offered only while one of
     them is chosen (the form checks the same when a module is sent by the select). */
  function setupTextModules(tools) {
    var form = tools.closest("form");
    var body = form && form.querySelector("textarea[name=body]");
    var source = document.getElementById("text-modules");
    if (!body || !source) { return; }
    var modules = JSON.parse(source.textContent);
    var queue = form.querySelector("select[name=queue]");
    function fits(module) {
      if (!module.queues || !module.queues.length) { return true; }
      return !!queue && module.queues.indexOf(Number(queue.value)) >= 0;
    }
    function find(keyword) {
      return modules.find(function (m) { return m.keyword === keyword && fits(m); });
    }
    function insertAt(start, end, text) {
      body.setRangeText(text, start, end, "end");
      body.focus();
      body.dispatchEvent(new Event("input", { bubbles: true }));
    }
    var select = tools.querySelector("select[name=text_module]");
    if (select) {
      select.addEventListener("change", function () {
        var label = select.options[select.selectedIndex];
        var match = label && /\(::([\w-]+)\)$/.exec(label.textContent);
        var module = match && find(match[1]);
        if (!module) { return; }
        insertAt(body.selectionStart, body.selectionEnd, module.text);
        select.value = "";
      });
    }
    body.addEventListener("input", function (event) {
      if (event.inputType === undefined) { return; }
      var before = body.value.slice(0, body.selectionStart);
      var match = /::([\w-]+)\s$/.exec(before);
      if (!match) { return; }
      var module = find(match[1]);
      if (module) { insertAt(body.selectionStart - match[0].length, body.selectionStart, module.text); }
    });
  }
  document.querySelectorAll(".composer-tools[data-draft-url], .composer-tools[data-text-modules]").forEach(setupTextModules);

  /* @-mentions (tickets/views/drafts.py, mentionable): typing "@" and the start of a login
     or name in a note lists the agents who may read the ticket (data-mention-url answers
     {results: [{login, name}]}); arrow keys or the mouse pick one, Enter or Tab puts
     "@login " in. Without this file the agent types the login; the form checks it. */
  function setupMentions(tools) {
    var form = tools.closest("form");
    var body = form && form.querySelector("textarea[name=body]");
    if (!body || !window.fetch) { return; }
    var list = document.createElement("ul");
    list.id = body.id + "-mentions";
    list.className = "mention-list";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", tools.getAttribute("data-mention-label") || "");
    list.hidden = true;
    body.after(list);
    body.setAttribute("aria-controls", list.id);
    body.setAttribute("aria-autocomplete", "list");
    var timer = null, active = -1, start = -1;
    function close() {
      list.hidden = true;
      list.replaceChildren();
      active = -1;
      body.removeAttribute("aria-activedescendant");
    }
    function highlight(index) {
      var items = list.querySelectorAll("li");
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      items.forEach(function (item, i) { item.setAttribute("aria-selected", i === active ? "true" : "false"); });
      body.setAttribute("aria-activedescendant", items[active].id);
    }
    function choose(login) {
      var end = body.selectionStart;
      body.setRangeText("@" + login + " ", start, end, "end");
      close();
      body.focus();
      body.dispatchEvent(new Event("input", { bubbles: true }));
    }
    function show(results) {
      list.replaceChildren.apply(list, results.map(function (agent, i) {
        var item = document.createElement("li");
        item.id = list.id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("data-login", agent.login);
        var login = document.createElement("strong");
        login.textContent = "@" + agent.login;
        item.append(login, " " + (agent.name !== agent.login ? agent.name : ""));
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(agent.login); });
        return item;
      }));
      list.hidden = !results.length;
      if (results.length) { highlight(0); }
    }
    body.addEventListener("input", function (event) {
      if (event.inputType === undefined) { return; }
      var match = /(^|[^\w.@\/])@([\w.+-]{0,50})$/.exec(body.value.slice(0, body.selectionStart));
      if (timer) { clearTimeout(timer); }
      if (!match) { close(); return; }
      start = body.selectionStart - match[2].length - 1;
      timer = setTimeout(function () {
        fetch(tools.getAttribute("data-mention-url") + "?q=" + encodeURIComponent(match[2]), { credentials: "same-origin" })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) { show(data.results || []); })
          .catch(close);
      }, 150);
    });
    body.addEventListener("keydown", function (event) {
      if (list.hidden) { return; }
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if ((event.key === "Enter" || event.key === "Tab") && active >= 0) {
        event.preventDefault();
        choose(list.querySelectorAll("li")[active].getAttribute("data-login"));
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    body.addEventListener("blur", function () { setTimeout(close, 100); });
  }
  document.querySelectorAll(".composer-tools[data-mention-url]").forEach(setupMentions);

  /* Keyboard shortcuts: "/" focuses the search; any element with data-shortcut="x" is
     activated by pressing x; "g" then x follows the menu link with data-nav-shortcut="x"
     (the apps' menu entries declare their letters). Never while typing. */
  var pendingG = false;
  document.addEventListener("keydown", function (event) {
    if (event.metaKey || event.ctrlKey || event.altKey || isTyping(event.target)) { return; }
    if (event.key === "?") { event.preventDefault(); showShortcutHelp(); return; }
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

  /* Settings that belong to one choice: <fieldset data-shown-for="a b" data-shown-by="id">
     is hidden (and its inputs disabled) unless the select with that id has one of those
     values. Without this every fieldset shows and the server ignores those not chosen. */
  function showChosen(root) {
    root.querySelectorAll("[data-shown-for][data-shown-by]").forEach(function (box) {
      var select = document.getElementById(box.getAttribute("data-shown-by"));
      if (!select) { return; }
      var shown = box.getAttribute("data-shown-for").split(" ").indexOf(select.value) >= 0;
      box.hidden = !shown;
      box.disabled = !shown;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target && event.target.id && document.querySelector('[data-shown-by="' + event.target.id + '"]')) {
      showChosen(document);
    }
  });
  document.addEventListener("otrs:updated", function (event) { showChosen(event.target); });
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { showChosen(document); });
  } else { showChosen(document); }
})();
