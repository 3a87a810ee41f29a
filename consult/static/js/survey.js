/*
 * Consult: the participant pages' only script. Everything works without it; it only enhances:
 *  - the error summary (or the "session expired" notice) receives focus when the page loads,
 *    and its links focus the control in error (or the first control of a widget);
 *  - ranking: "Your ranking" and "Items to choose from" lists with Add, Remove, Move up and
 *    Move down buttons (keyboard operable, as any button) and drag and drop; every change is
 *    announced in an aria-live region and written back into the rank selectors that the
 *    no-JavaScript page submits, so the server always receives the same fields;
 *  - points: a live total;
 *  - a form is not sent twice by a double click.
 * Translated texts come from data-* attributes rendered by the server ({item}, {rank} ...).
 * No framework, no inline script, no inline style (CSP-ready).
 */
(function () {
  "use strict";

  function fill(template, values) {
    return (template || "").replace(/\{(\w+)\}/g, function (match, key) {
      return Object.prototype.hasOwnProperty.call(values, key) ? String(values[key]) : match;
    });
  }

  function make(tag, className, text) {
    var element = document.createElement(tag);
    if (className) {
      element.className = className;
    }
    if (text !== undefined) {
      element.textContent = text;
    }
    return element;
  }

  function isVisible(element) {
    return !!(element && (element.offsetWidth || element.offsetHeight ||
      element.getClientRects().length));
  }

  var uid = 0;

  /* --- error summary --------------------------------------------------------------------- */

  function focusableIn(container) {
    return container && container.querySelector(
      "button:not([hidden]), input:not([type=hidden]), select, textarea, a[href]");
  }

  function initErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (!summary) {
      return;
    }
    if (document.activeElement !== summary) {
      summary.focus();
    }
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
      if (!link) {
        return;
      }
      var target = document.getElementById(decodeURIComponent(link.hash.slice(1)));
      if (!target) {
        return;
      }
      if (!isVisible(target)) {
        var question = target.closest(".question");
        target = focusableIn(question && question.querySelector(".ranking--enhanced")) ||
          focusableIn(question) || target;
      }
      event.preventDefault();
      var heading = target.closest(".question") || target;
      heading.scrollIntoView();
      target.focus({ preventScroll: true });
    });
  }

  /* --- ranking ----------------------------------------------------------------------------- */

  function Ranking(root) {
    this.root = root;
    this.k = parseInt(root.getAttribute("data-k"), 10) || 1;
    this.text = function (name, values) {
      return fill(root.getAttribute("data-" + name), values || {});
    };
    this.rows = Array.prototype.slice.call(root.querySelectorAll(".ranking__row"));
    this.items = [];
    this.build();
  }

  Ranking.prototype.build = function () {
    var self = this;
    var id = "ranking-" + (++uid);
    var fallback = this.root.querySelector(".ranking__fallback");

    var rankedHeading = make("h3", "ranking__heading", this.text("ranked-title"));
    rankedHeading.id = id + "-ranked";
    this.count = make("p", "ranking__count");
    this.empty = make("p", "ranking__empty", this.text("empty"));
    this.list = make("ol", "ranking__list");
    this.list.setAttribute("aria-labelledby", rankedHeading.id);
    var poolHeading = make("h3", "ranking__heading", this.text("pool-title"));
    poolHeading.id = id + "-pool";
    this.poolHeading = poolHeading;
    this.pool = make("ul", "ranking__pool");
    this.pool.setAttribute("aria-labelledby", poolHeading.id);
    this.status = make("div", "visually-hidden");
    this.status.setAttribute("aria-live", "polite");
    this.status.setAttribute("role", "status");

    this.rows.forEach(function (row, index) {
      var select = row.querySelector("select");
      var label = row.querySelector("label");
      var item = make("li", "ranking__item");
      item.setAttribute("data-index", String(index));
      item.draggable = true;
      var name = make("span", "ranking__name", label.textContent);
      name.id = id + "-item-" + index;
      if (label.hasAttribute("lang")) {
        name.setAttribute("lang", label.getAttribute("lang"));
        name.setAttribute("dir", label.getAttribute("dir"));
      }
      var position = make("span", "ranking__position");
      position.setAttribute("aria-hidden", "true");
      var buttons = make("span", "ranking__buttons");
      var entry = {
        index: index,
        select: select,
        label: label.textContent.trim(),
        element: item,
        position: position,
        buttons: {
          add: self.button(self.text("add"), "add", name.id),
          remove: self.button(self.text("remove"), "remove", name.id),
          up: self.button("\u25B2", "up", name.id, self.text("up")),
          down: self.button("\u25BC", "down", name.id, self.text("down"))
        }
      };
      buttons.appendChild(entry.buttons.up);
      buttons.appendChild(entry.buttons.down);
      buttons.appendChild(entry.buttons.remove);
      buttons.appendChild(entry.buttons.add);
      item.appendChild(position);
      item.appendChild(name);
      item.appendChild(buttons);
      item.rankingEntry = entry;
      self.items.push(entry);
    });

    // the order the server rendered: ranked items by rank, then the others in their order
    var ranked = this.items.filter(function (entry) {
      return /^\d+$/.test(entry.select.value);
    }).sort(function (a, b) {
      return (parseInt(a.select.value, 10) - parseInt(b.select.value, 10)) || (a.index - b.index);
    }).slice(0, this.k);
    ranked.forEach(function (entry) {
      self.list.appendChild(entry.element);
    });
    this.items.forEach(function (entry) {
      if (ranked.indexOf(entry) < 0) {
        self.pool.appendChild(entry.element);
      }
    });

    var enhanced = make("div", "ranking--enhanced");
    [rankedHeading, this.count, this.empty, this.list, poolHeading, this.pool, this.status]
      .forEach(function (element) {
        enhanced.appendChild(element);
      });
    fallback.hidden = true; // its selectors stay in the form: they are what is sent
    this.root.appendChild(enhanced);

    var question = this.root.closest(".question");
    var howto = question && question.querySelector("[id$='-howto']");
    if (howto && this.root.getAttribute("data-howto")) {
      howto.textContent = this.root.getAttribute("data-howto");
    }

    enhanced.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("button[data-action]") : null;
      if (button) {
        event.preventDefault();
        self.act(button.closest(".ranking__item").rankingEntry, button.getAttribute("data-action"));
      }
    });
    this.enableDrag();
    this.sync();
  };

  Ranking.prototype.button = function (text, action, describedBy, hiddenText) {
    var button = make("button", "ranking__button");
    button.type = "button";
    button.setAttribute("data-action", action);
    button.setAttribute("aria-describedby", describedBy);
    if (hiddenText) {
      var icon = make("span", "", text);
      icon.setAttribute("aria-hidden", "true");
      button.appendChild(icon);
      button.appendChild(make("span", "visually-hidden", hiddenText));
    } else {
      button.textContent = text;
    }
    return button;
  };

  Ranking.prototype.ranked = function () {
    return Array.prototype.map.call(this.list.children, function (li) {
      return li.rankingEntry;
    });
  };

  Ranking.prototype.announce = function (message) {
    var status = this.status;
    status.textContent = "";
    window.setTimeout(function () {
      status.textContent = message;
    }, 50);
  };

  Ranking.prototype.returnToPool = function (entry) {
    var next = null;
    Array.prototype.forEach.call(this.pool.children, function (li) {
      if (!next && li.rankingEntry.index > entry.index) {
        next = li;
      }
    });
    this.pool.insertBefore(entry.element, next);
  };

  Ranking.prototype.act = function (entry, action) {
    var ranked = this.ranked();
    var at = ranked.indexOf(entry);
    var name = { item: entry.label };
    var focusTarget = null;
    if (entry.buttons[action].getAttribute("aria-disabled") === "true") {
      if (action === "add") {
        this.announce(this.text("full"));
      } else if (action === "up") {
        this.announce(this.text("first", name));
      } else if (action === "down") {
        this.announce(this.text("last", name));
      }
      return;
    }
    if (action === "add") {
      var poolItems = Array.prototype.slice.call(this.pool.children);
      var from = poolItems.indexOf(entry.element);
      this.list.appendChild(entry.element);
      this.sync();
      this.announce(this.text("added", { item: entry.label, rank: this.ranked().length }));
      var rest = Array.prototype.slice.call(this.pool.children);
      if (this.ranked().length >= this.k || !rest.length) {
        focusTarget = entry.buttons.up.getAttribute("aria-disabled") === "true" ?
          entry.buttons.remove : entry.buttons.up;
      } else {
        focusTarget = rest[Math.min(from, rest.length - 1)].rankingEntry.buttons.add;
      }
    } else if (action === "remove") {
      this.returnToPool(entry);
      this.sync();
      this.announce(this.text("removed", name));
      var left = this.ranked();
      focusTarget = left.length ? left[Math.min(at, left.length - 1)].buttons.remove :
        entry.buttons.add;
    } else {
      var to = action === "up" ? at - 1 : at + 1;
      var reference = action === "up" ? ranked[to].element : ranked[to].element.nextSibling;
      this.list.insertBefore(entry.element, reference);
      this.sync();
      this.announce(this.text("moved", { item: entry.label, rank: to + 1 }));
      var same = entry.buttons[action];
      focusTarget = same.getAttribute("aria-disabled") === "true" ?
        entry.buttons[action === "up" ? "down" : "up"] : same;
      if (focusTarget.getAttribute("aria-disabled") === "true") {
        focusTarget = entry.buttons.remove;
      }
    }
    if (focusTarget) {
      focusTarget.focus();
    }
  };

  Ranking.prototype.sync = function () {
    var self = this;
    var ranked = this.ranked();
    var full = ranked.length >= this.k;
    ranked.forEach(function (entry, i) {
      entry.select.value = String(i + 1);
      entry.position.textContent = String(i + 1);
      entry.buttons.add.hidden = true;
      entry.buttons.remove.hidden = false;
      entry.buttons.up.hidden = false;
      entry.buttons.down.hidden = false;
      entry.buttons.up.setAttribute("aria-disabled", i === 0 ? "true" : "false");
      entry.buttons.down.setAttribute("aria-disabled",
        i === ranked.length - 1 ? "true" : "false");
    });
    Array.prototype.forEach.call(this.pool.children, function (li) {
      var entry = li.rankingEntry;
      entry.select.value = "";
      entry.position.textContent = "";
      entry.buttons.add.hidden = false;
      entry.buttons.add.setAttribute("aria-disabled", full ? "true" : "false");
      entry.buttons.remove.hidden = true;
      entry.buttons.up.hidden = true;
      entry.buttons.down.hidden = true;
    });
    this.count.textContent = this.text("count", { count: ranked.length });
    this.empty.hidden = ranked.length > 0;
    this.poolHeading.hidden = this.pool.children.length === 0;
    self.root.setAttribute("data-ranked", String(ranked.length));
  };

  Ranking.prototype.enableDrag = function () {
    var self = this;
    var dragged = null;

    function dropIndex(list, y) {
      var children = Array.prototype.slice.call(list.children);
      for (var i = 0; i < children.length; i++) {
        var box = children[i].getBoundingClientRect();
        if (y < box.top + box.height / 2) {
          return children[i];
        }
      }
      return null;
    }

    this.root.addEventListener("dragstart", function (event) {
      var item = event.target.closest ? event.target.closest(".ranking__item") : null;
      if (!item) {
        return;
      }
      dragged = item.rankingEntry;
      item.classList.add("is-dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", dragged.label);
    });
    this.root.addEventListener("dragend", function () {
      if (dragged) {
        dragged.element.classList.remove("is-dragging");
      }
      dragged = null;
      self.list.classList.remove("is-drop-target");
      self.pool.classList.remove("is-drop-target");
    });
    [this.list, this.pool].forEach(function (list) {
      list.addEventListener("dragover", function (event) {
        if (dragged) {
          event.preventDefault();
          list.classList.add("is-drop-target");
        }
      });
      list.addEventListener("dragleave", function () {
        list.classList.remove("is-drop-target");
      });
    });
    // an empty ranking is a short target: the heading area accepts drops too
    this.list.parentNode.addEventListener("drop", function (event) {
      if (!dragged) {
        return;
      }
      event.preventDefault();
      var entry = dragged;
      var inList = entry.element.parentNode === self.list;
      var toPool = event.target.closest && event.target.closest(".ranking__pool");
      if (toPool) {
        if (inList) {
          self.act(entry, "remove");
        }
        return;
      }
      if (!inList && self.ranked().length >= self.k) {
        self.announce(self.text("full"));
        return;
      }
      var before = dropIndex(self.list, event.clientY);
      if (before !== entry.element) {
        self.list.insertBefore(entry.element, before);
      }
      self.sync();
      var rank = self.ranked().indexOf(entry) + 1;
      self.announce(self.text(inList ? "moved" : "added", { item: entry.label, rank: rank }));
    });
  };

  /* --- points ------------------------------------------------------------------------------ */

  var DIGITS = "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669";
  var PERSIAN = "\u06F0\u06F1\u06F2\u06F3\u06F4\u06F5\u06F6\u06F7\u06F8\u06F9";

  function whole(text) {
    var latin = String(text || "").trim().replace(/[\u0660-\u0669\u06F0-\u06F9]/g, function (d) {
      var i = DIGITS.indexOf(d);
      return String(i >= 0 ? i : PERSIAN.indexOf(d));
    });
    return /^\d+$/.test(latin) ? parseInt(latin, 10) : 0;
  }

  function initPoints(root) {
    var budget = parseInt(root.getAttribute("data-budget"), 10) || 0;
    var inputs = root.querySelectorAll("input");
    var output = root.querySelector("[data-points-total]");
    function update() {
      var total = 0;
      Array.prototype.forEach.call(inputs, function (input) {
        total += whole(input.value);
      });
      var text = fill(root.getAttribute("data-total"), { total: total });
      var rest = total === budget ? root.getAttribute("data-done") :
        total < budget ? fill(root.getAttribute("data-left"), { left: budget - total }) :
          fill(root.getAttribute("data-over"), { over: total - budget });
      output.textContent = text + " " + rest;
      output.classList.toggle("is-over", total > budget);
      output.hidden = false;
    }
    root.addEventListener("input", update);
    update();
  }

  /* --- one send per click ------------------------------------------------------------------ */

  function initSubmitOnce() {
    var forms = Array.prototype.slice.call(document.querySelectorAll("form[method=post]"));
    forms.forEach(function (form) {
      form.addEventListener("submit", function (event) {
        var now = Date.now();
        if (now - (form.sentAt || 0) < 3000) {
          event.preventDefault();
          return;
        }
        form.sentAt = now;
      });
    });
    // back to this page with the browser's back button: it may be sent again
    window.addEventListener("pageshow", function () {
      forms.forEach(function (form) {
        form.sentAt = 0;
      });
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("[data-ranking]"), function (root) {
      if (root.querySelector(".ranking__row")) {
        root.ranking = new Ranking(root);
      }
    });
    Array.prototype.forEach.call(document.querySelectorAll("[data-points]"), initPoints);
    initSubmitOnce();
    initErrorSummary();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
