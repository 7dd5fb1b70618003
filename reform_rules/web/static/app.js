/* The caseworker page: a citizen form, the answer from /api/explain with its statement of reasons,
   the timeline from /api/timeline/view, Danish and English.
   Plain JavaScript, no libraries, no external requests. Nothing is stored in the browser or on the
   server; the permalink keeps the citizen and the date in the address's #fragment, which the browser
   never sends to the server. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("config").textContent);
  var vocab = config.vocabulary;
  var lang = config.lang;
  var lastRequest = null;    // the last citizen + date asked about (re-asked on a language switch)
  var extras = {};           // fields of a loaded file the form has no input for (sent on, so the API names them)
  var asked = 0;             // counts the questions, so a late timeline for an earlier one is dropped
  var PHONE = "(max-width: 1100px)";  // one column: the answer is below the form

  function ui(key) { return (config.ui[lang] && config.ui[lang][key]) || key; }
  function $(id) { return document.getElementById(id); }

  function el(tag, attrs) {
    var node = document.createElement(tag);
    if (attrs) {
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = v;
        else if (k === "class") node.className = v;
        else if (k === "dataset") Object.keys(v).forEach(function (d) { node.dataset[d] = v[d]; });
        else if (k === "on") Object.keys(v).forEach(function (ev) { node.addEventListener(ev, v[ev]); });
        else if (v === true) node.setAttribute(k, "");
        else node.setAttribute(k, v);
      });
    }
    for (var i = 2; i < arguments.length; i++) {
      var child = arguments[i];
      if (child === null || child === undefined || child === false) continue;
      if (Array.isArray(child)) child.forEach(function (c) { if (c) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c); });
      else node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    }
    return node;
  }

  function formatNodes(template, values) {
    // the template's text with each value in an unbreakable span (a date must not break at its hyphens)
    return template.split(/(\{\w+\})/).filter(Boolean).map(function (part) {
      var m = /^\{(\w+)\}$/.exec(part);
      return m && values[m[1]] !== undefined ? el("span", { class: "nowrap", text: String(values[m[1]]) }) : part;
    });
  }

  // -- the form, built from the declaration of the citizen's facts ------------------------------------
  // vocab.facts: the facts on the citizen; vocab.spells: the spell kinds, each with its value table and
  // its own facts (shown only with the values in `only_with`). A fact's type decides its input: a yes/no
  // fact with a default is a checkbox, one without a default a three-way choice (yes / no / not given);
  // a choice a select of the table's titles (a search list for a large, forgiving table); a whole number
  // a number input; a date a date picker. Labels and help come from the declaration, in the page's language.
  var STRUCTURAL = ["id", "note", "spells"];
  var SPELL_KEYS = ["from", "to"];
  var uid = 0;
  var citizenControls = [];   // [fact, input] of the citizen's facts, in declared order

  function title(term) { return (term.title && (term.title[lang] || term.title.da)) || term.id; }
  function label(decl) { return (decl.label && (decl.label[lang] || decl.label.da)) || decl.id || decl.kind; }
  function helpOf(fact) { return (fact.help && (fact.help[lang] || fact.help.da)) || ""; }
  function table(name) { return (vocab.tables && vocab.tables[name]) || []; }
  function spellKind(kind) {
    for (var i = 0; i < vocab.spells.length; i++) if (vocab.spells[i].kind === kind) return vocab.spells[i];
    return null;
  }
  function factById(id) {
    var all = vocab.facts.slice();
    vocab.spells.forEach(function (k) { all = all.concat(k.facts); });
    for (var i = 0; i < all.length; i++) if (all[i].id === id) return all[i];
    return null;
  }
  function hasDefault(fact) { return fact.default !== null && fact.default !== undefined; }
  function given(value) { return value !== undefined && value !== null && value !== ""; }

  function select(name, options, value, blank, labelText) {
    var s = el("select", { name: name, "aria-label": labelText || null });
    if (blank !== null && blank !== undefined) s.appendChild(el("option", { value: "", text: blank }));
    options.forEach(function (t) { s.appendChild(el("option", { value: t.id, text: title(t) })); });
    setSelect(s, value);
    return s;
  }

  function setSelect(s, value) {
    value = given(value) ? String(value) : "";
    var known = Array.prototype.some.call(s.options, function (o) { return o.value === value; });
    if (!known) {
      // a value the declaration does not list (an older name, or a mistake): keep it, so the API can judge it
      s.appendChild(el("option", { value: value, text: value }));
    }
    s.value = value;
  }

  // A date or number field with the browser's own picker. A value it cannot hold (30 February, or
  // text in a number field, from a file) would be emptied silently: the field then turns into a text
  // field that keeps it, and the API names it.
  function setValue(node, value) {
    value = value === undefined || value === null ? "" : String(value);
    if (!node.dataset.inputType) node.dataset.inputType = node.type;
    if (node.type !== node.dataset.inputType) node.type = node.dataset.inputType;
    node.value = value;
    if (node.value !== value) { node.type = "text"; node.value = value; }
  }
  var setDate = setValue;

  function input(name, value, attrs) {
    var node = el("input", Object.assign({ name: name }, attrs || {}));
    setValue(node, value);
    return node;
  }

  function field(text, control, cls, help) {
    var helpId = help ? "help-" + (++uid) : null;
    if (helpId) control.setAttribute("aria-describedby", helpId);
    return el("label", { class: "field " + (cls || "") }, el("span", { text: text }), control,
              help ? el("small", { class: "under help", id: helpId, text: help }) : null);
  }

  function datalist(tableName) {
    var id = "list-" + tableName;
    if (!$(id)) {
      document.body.appendChild(el("datalist", { id: id }, table(tableName).map(function (t) {
        return el("option", { value: t.id, label: title(t) !== t.id ? title(t) : null });
      })));
    }
    return id;
  }

  // Does a value from a file fit the fact's input? If not, it is kept as it came and sent on as it came.
  function fits(fact, value) {
    if (!given(value)) return true;
    if (fact.type === "bool") return typeof value === "boolean";
    if (fact.type === "integer") return typeof value === "number" && Math.floor(value) === value;
    return typeof value === "string";
  }

  // The input of one declared fact, holding `value`: {wrap, input}.
  function factControl(fact, value, id) {
    var help = helpOf(fact), node, wrap;
    var attrs = { name: fact.id, id: id || null };
    if (fact.type === "bool" && hasDefault(fact)) {
      node = el("input", Object.assign({ type: "checkbox", title: help || null }, attrs));
      node.checked = given(value) ? value === true : fact.default === true;
      var helpId = help ? "help-" + (++uid) : null;
      if (helpId) node.setAttribute("aria-describedby", helpId);
      wrap = el("label", { class: "check", title: help || null }, node, " ", el("span", { text: label(fact) }),
                helpId ? el("span", { class: "offscreen", id: helpId, text: help }) : null);
    } else {
      if (fact.type === "bool") {
        node = select(fact.id, [{ id: "true", title: { da: ui("yes"), en: ui("yes") } },
                                { id: "false", title: { da: ui("no"), en: ui("no") } }],
                      given(value) ? String(value) : "", ui("not_given_long"), label(fact));
      } else if (fact.type === "choice" && fact.search) {
        node = input(fact.id, value, { list: datalist(fact.values), autocomplete: "off", spellcheck: "false" });
      } else if (fact.type === "choice") {
        node = select(fact.id, table(fact.values), value, hasDefault(fact) ? null : ui("not_given"), label(fact));
      } else if (fact.type === "integer") {
        node = input(fact.id, value, { type: "number", min: fact.minimum, max: fact.maximum, step: 1,
                                       inputmode: "numeric", class: "number" });
      } else {
        node = input(fact.id, value, { type: "date", min: "1900-01-01", max: "2200-12-31", placeholder: ui("date_hint") });
      }
      if (id) node.id = id;
      wrap = field(label(fact), node, "fact fact-" + fact.type, help);
    }
    wrap.dataset.fact = fact.id;
    if (!fits(fact, value)) node._raw = value;
    var changed = function () { delete node._raw; };
    node.addEventListener("input", changed);
    node.addEventListener("change", changed);
    return { wrap: wrap, input: node };
  }

  // A fact's value as the form holds it (undefined: not given, or its default on a checkbox).
  function readFact(fact, node) {
    if (node._raw !== undefined) return node._raw;
    if (node.type === "checkbox") return node.checked === (fact.default === true) ? undefined : node.checked;
    var v = node.value.trim();
    if (v === "") return undefined;
    if (fact.type === "bool") return v === "true" ? true : v === "false" ? false : v;
    if (fact.type === "integer") return /^-?\d+$/.test(v) ? Number(v) : v;
    return v;
  }

  function holdsValue(fact, node) { return node._raw !== undefined || readFact(fact, node) !== undefined; }

  function renderCitizenFacts(c) {
    var fields = $("citizen-facts"), checks = $("citizen-checks");
    fields.querySelectorAll("[data-fact]").forEach(function (n) { if (n.parentNode === fields) n.remove(); });
    checks.innerHTML = "";
    citizenControls = [];
    vocab.facts.forEach(function (fact) {
      var control = factControl(fact, c[fact.id], "f-" + fact.id);
      (control.input.type === "checkbox" ? checks : fields).appendChild(control.wrap);
      citizenControls.push([fact, control.input]);
    });
    checks.hidden = !checks.children.length;
  }

  // -- the spells ------------------------------------------------------------------------------------
  function spellRow(kind, data) {
    data = data || {};
    var decl = spellKind(kind);
    var row = el("div", { class: "spell spell-" + kind + " spell-" + decl.role, dataset: { kind: kind } });
    var what = select(kind, table(decl.values), data[kind], ui("choose"), label(decl));
    what.classList.add("what");
    var from = input("from", data.from, { type: "date", min: "1900-01-01", max: "2200-12-31", placeholder: ui("date_hint") });
    var to = input("to", data.to, { type: "date", min: "1900-01-01", max: "2200-12-31", placeholder: ui("date_hint") });
    var remove = el("button", { type: "button", class: "remove", title: ui("remove_row"), "aria-label": ui("remove_row"),
                                text: "×", on: { click: function () { row.remove(); updateEmpty(); } } });
    row.appendChild(el("div", { class: "spell-main" },
      el("span", { class: "kind kind-" + decl.role, text: label(decl) }),
      field(ui("f_what"), what, "grow"), field(ui("f_from"), from, "date"), field(ui("f_to"), to, "date"), remove));

    var details = el("div", { class: "spell-details" });
    row._facts = decl.facts.map(function (fact) {
      var control = factControl(fact, data[fact.id]);
      details.appendChild(control.wrap);
      return [fact, control.input, control.wrap];
    });
    row.appendChild(details);
    var refresh = function () {
      var shown = 0;
      row._facts.forEach(function (item) {
        var only = item[0].only_with || [];
        var show = !only.length || only.indexOf(what.value) >= 0 || holdsValue(item[0], item[1]);
        item[2].hidden = !show;
        if (show) shown++;
      });
      details.hidden = !shown;
    };
    what.addEventListener("change", refresh);
    refresh();
    if (data.__extras) row._extras = data.__extras;
    return row;
  }

  function addSpell(kind, data) {
    $("spells").appendChild(spellRow(kind, data));
    updateEmpty();
  }

  function updateEmpty() { $("spells-empty").hidden = $("spells").children.length > 0; }

  function renderSpellButtons() {
    var box = $("spell-buttons");
    box.innerHTML = "";
    vocab.spells.forEach(function (decl) {
      box.appendChild(el("button", { type: "button", class: "secondary", id: "add-" + decl.kind,
                                     text: ui("add_spell").replace("{kind}", label(decl)),
                                     on: { click: function () { addSpell(decl.kind, {}); } } }));
    });
  }

  // -- form <-> citizen ----------------------------------------------------------------------------
  function readSpell(row) {
    var kind = row.dataset.kind;
    var get = function (name) { var n = row.querySelector("[name='" + name + "']"); return n ? n.value.trim() : ""; };
    var spell = {};
    spell[kind] = get(kind);
    spell.from = get("from");
    if (get("to")) spell.to = get("to");
    (row._facts || []).forEach(function (item) {
      var v = readFact(item[0], item[1]);
      if (v !== undefined) spell[item[0].id] = v;
    });
    if (row._extras) Object.assign(spell, row._extras);
    return spell;
  }

  function readCitizen() {
    var c = { id: $("f-id").value.trim() };
    citizenControls.forEach(function (item) {
      var v = readFact(item[0], item[1]);
      if (v !== undefined) c[item[0].id] = v;
    });
    c.spells = Array.prototype.map.call($("spells").children, readSpell);
    Object.assign(c, extras);
    return c;
  }

  function text(value) { return value === undefined || value === null ? "" : String(value); }

  function fillCitizen(c) {
    clearErrors();
    extras = {};
    var declared = vocab.facts.map(function (f) { return f.id; });
    Object.keys(c).forEach(function (k) { if (STRUCTURAL.indexOf(k) < 0 && declared.indexOf(k) < 0) extras[k] = c[k]; });
    $("f-id").value = text(c.id);
    renderCitizenFacts(c);
    $("spells").innerHTML = "";
    (Array.isArray(c.spells) ? c.spells : []).forEach(function (s) {
      if (!s || typeof s !== "object" || Array.isArray(s)) return;
      // the spell's kind: the first declared kind it names (the others, and unknown fields, are sent on as they came)
      var decl = vocab.spells.filter(function (k) { return k.kind in s; })[0] || vocab.spells[0];
      var own = [decl.kind].concat(SPELL_KEYS, decl.facts.map(function (f) { return f.id; }));
      var more = {};
      Object.keys(s).forEach(function (k) { if (own.indexOf(k) < 0) more[k] = s[k]; });
      if (Object.keys(more).length) s = Object.assign({}, s, { __extras: more });
      addSpell(decl.kind, s);
    });
    updateEmpty();
    var note = $("persona-note");
    note.hidden = !c.note;
    note.textContent = c.note ? String(c.note) : "";
  }

  // -- asking ---------------------------------------------------------------------------------------
  function ask(request) {
    lastRequest = request;
    var n = ++asked;
    var panel = $("answer");
    panel.classList.add("busy");
    panel.setAttribute("aria-busy", "true");
    $("submit").disabled = true;
    return fetch("/api/explain", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ citizen: request.citizen, date: request.date, lang: lang })
    }).then(function (r) {
      return r.json().catch(function () { return { error: "http", messages: [r.status + " " + r.statusText] }; })
        .then(function (body) { return { status: r.status, body: body }; });
    }).then(function (res) {
      if (n !== asked) return;
      if (res.status === 200) {
        renderAnswer(res.body.view, res.body.answer);
        remember(request);
        loadTimeline(request, n);
        loadWhatIf(request, n);
      } else showErrors(res.body.messages || [String(res.status)], res.body.problems);
    }).catch(function () {
      showErrors([ui("error_network")]);
    }).then(function () {
      panel.classList.remove("busy");
      panel.removeAttribute("aria-busy");
      $("submit").disabled = false;
    });
  }

  function badInputs() {
    // a date or number field the browser holds as incomplete or impossible reads as empty: say so here
    var bad = [];
    document.querySelectorAll("#citizen-form input[type='date'], #citizen-form input[type='number']").forEach(function (node) {
      if (node.validity && node.validity.badInput) bad.push(node);
    });
    return bad;
  }

  function submit(ev) {
    if (ev) ev.preventDefault();
    clearErrors();
    var bad = badInputs();
    if (bad.length) {
      showErrors(bad.map(function (node) {
        return { field: fieldOf(node), text: ui(node.type === "number" ? "error_number_bad" : "error_date_bad"), node: node };
      }));
      return;
    }
    ask({ citizen: readCitizen(), date: $("f-date").value.trim() || null });  // null: the API says "missing"
  }

  function fieldOf(node) {
    var row = node.closest(".spell");
    if (row) {
      var i = Array.prototype.indexOf.call($("spells").children, row);
      return "citizen: spells[" + i + "]." + node.name;
    }
    return node.id === "f-date" ? "date" : "citizen: " + node.name;
  }

  // -- errors -------------------------------------------------------------------------------------
  function clearErrors() {
    document.querySelectorAll(".invalid").forEach(function (n) { n.classList.remove("invalid"); n.removeAttribute("aria-invalid"); });
  }

  function mark(node) { if (node) { node.classList.add("invalid"); node.setAttribute("aria-invalid", "true"); } }

  // Mark the form's field a problem record names (its path in the citizen record).
  function highlightRecord(p) {
    var path = p.path || [];
    if (path[0] === "spells" && typeof path[1] === "number") {
      var row = $("spells").children[path[1]];
      if (!row) return;
      mark(row.querySelector("[name='" + (path[2] || row.dataset.kind) + "']") || row);
    } else if (path.length && $("f-" + path[0])) {
      mark($("f-" + path[0]));
    }
  }

  function highlight(message) {
    var m = /^citizen: spells\[(\d+)\](?:\.(\w+))?:/.exec(message);
    if (m) {
      var row = $("spells").children[Number(m[1])];
      if (!row) return;
      var name = m[2] || row.dataset.kind;
      mark(row.querySelector("[name='" + name + "']") || row);
      return;
    }
    m = /^citizen: (\w+):/.exec(message);
    if (m && $("f-" + m[1])) { mark($("f-" + m[1])); return; }
    if (/^date:/.test(message)) mark($("f-date"));
  }

  // What the form calls a field: a spell kind's or a declared fact's label, or the page's own word.
  function fieldName(key) {
    var decl = spellKind(key) || factById(key);
    if (decl) return label(decl);
    return config.ui[lang]["f_" + key] || null;
  }

  // The field of a message from the API ("citizen: spells[1].benefit: …"), named as the form names it.
  function fieldLabel(path) {
    var m = /^spells\[(\d+)\](?:\.(\w+))?$/.exec(path);
    if (m) {
      var row = ui("row_n").replace("{n}", Number(m[1]) + 1);
      row = row.charAt(0).toUpperCase() + row.slice(1);
      if (!m[2]) return row;
      return row + ", " + (fieldName(m[2]) || m[2]).toLowerCase();
    }
    return fieldName(path) || path;
  }

  function splitMessage(message) {
    var m = /^citizen: ((?:spells\[\d+\](?:\.\w+)?)|\w+): (.*)$/.exec(message);
    if (m && (/^spells/.test(m[1]) || fieldName(m[1]))) return { field: m[1], rest: m[2] };
    m = /^(citizen|date|from|to|lang|body|file|text|name)(?::\d+)?: (.*)$/.exec(message);
    if (m) return { field: m[1], rest: m[2] };
    return { field: null, rest: message };
  }

  // A message in the page's language: English as the API says it; Danish by field and pattern, and
  // where no pattern knows the message, the field in Danish and the server's words beside it.
  function translate(message) {
    var parts = splitMessage(message);
    if (lang === "en") return { field: null, text: message, original: null };
    var label = parts.field ? fieldLabel(parts.field) : null;
    for (var i = 0; i < (config.errors || []).length; i++) {
      var re = new RegExp(config.errors[i].re);
      var m = re.exec(parts.rest);
      if (m) {
        var out = config.errors[i].da.replace(/\$(\d)/g, function (_, k) { return m[Number(k)] || ""; })
          .replace(/\{(\d+)\}/g, function (_, k) { return String(Number(k) + 1); });
        return { field: label, text: out, original: null };
      }
    }
    return { field: label, text: ui("error_title").toLowerCase(), original: message };
  }

  function showErrors(messages, problems) {
    var panel = $("answer");
    panel.innerHTML = "";
    (problems || []).forEach(highlightRecord);
    var items = messages.map(function (m) {
      if (typeof m === "object") {  // found on the page (a date the picker holds as invalid)
        mark(m.node);
        return el("li", null, el("strong", { text: fieldLabel(m.field.replace(/^citizen: /, "")) + ": " }), m.text);
      }
      var t = translate(m);
      if (!problems) highlight(m);
      if (lang === "en") return el("li", null, el("code", { text: m }));
      return el("li", null, t.field ? el("strong", { text: t.field + ": " }) : null, t.text,
                t.original ? el("small", { class: "original" }, " (" + ui("error_original") + ": ",
                                el("code", { lang: "en", text: t.original }), ")") : null);
    });
    panel.appendChild(el("div", { class: "error-box", role: "alert" },
      el("h2", { text: ui("error_title") }), el("ul", null, items)));
    bringIntoView(panel, false);
  }

  // On a phone the answer is below the form: show it (and say where focus went); on a wide screen it
  // is beside the form already.
  function bringIntoView(panel, focus) {
    if (window.matchMedia && window.matchMedia(PHONE).matches) {
      var target = panel.querySelector("h2") || panel;
      if (!target.hasAttribute("tabindex")) target.setAttribute("tabindex", "-1");
      target.scrollIntoView({ block: "start" });
      if (focus !== false) target.focus({ preventScroll: true });
    } else {
      panel.scrollIntoView({ block: "nearest" });
    }
  }

  // -- the answer ----------------------------------------------------------------------------------
  function badge(cls, label, titleText) { return el("span", { class: "badge " + cls, text: label, title: titleText || null }); }
  function statusBadge(status, label) { return badge("status-" + status, label); }

  function row(label, value, extra) {
    return [el("dt", { text: label }), el("dd", null, value, extra || null)];
  }

  function sourceLink(c) {
    // a source by the name a person cites it by; to its public address, or to its text on this server
    var href = c.href && c.href.charAt(0) === "/" ? c.href.replace(/(#|$)/, "?lang=" + lang + "$1") : c.href;
    var name = href ? el("a", { href: href, class: "source-link", target: "_blank", rel: "noopener",
                                  dataset: { ref: c.ref } , text: c.name }) : el("span", { text: c.name });
    return [name, c.at ? ", " + c.at : null];
  }

  function citationNodes(citations) {
    var out = [];
    citations.forEach(function (c, i) {
      if (i) out.push("; ");
      out = out.concat(sourceLink(c));
    });
    return out;
  }

  function button(id, label, handler) {
    return el("button", { type: "button", class: "secondary small", id: id, text: label, on: { click: handler } });
  }

  function renderAnswer(view, answer) {
    var panel = $("answer");
    panel.innerHTML = "";
    panel.dataset.lang = view.lang;

    var head = el("div", { class: "answer-head" },
      el("h2", { id: "answer-title", tabindex: "-1" }, formatNodes(ui("answer_for"), { citizen: view.citizen, date: view.date })),
      el("div", { class: "actions" },
        button("print", ui("print"), function () { window.print(); }),
        button("copy-link", ui("copy_link"), function (ev) { copyText(window.location.href, ev.target, ui("link_copied")); }),
        button("copy-text", ui("copy_text"), function (ev) { copyText(view.text, ev.target); })));
    panel.appendChild(head);
    panel.appendChild(el("p", { class: "permalink-note small muted", id: "permalink-note", text: ui("permalink_note") }));

    var law = view.status.is_law;
    panel.appendChild(el("div", { class: "rests " + (law ? "rests-law" : "rests-other status-" + view.status.id), id: "rests-on" },
      el("span", { class: "rests-icon", "aria-hidden": "true", text: law ? "✓" : "!" }),
      el("div", null,
        el("strong", null, ui("rests_on") + ": ", el("span", { class: "rests-status", text: view.status.label })),
        el("p", { text: law ? ui("rests_law") : ui("rests_other") }))));

    if (view.missing && view.missing.length) panel.appendChild(renderMissing(view.missing));
    else markWanted([]);

    var dl = el("dl", { class: "summary", id: "summary" }, view.summary.map(function (r) {
      var value = el(r.strong ? "strong" : "span", { id: r.element, text: r.text });
      var extra = r.code ? (r.sub ? el("span", { class: "sub" }, el("code", { class: "id", text: r.code }), " · " + r.sub)
                                  : el("code", { class: "id", text: r.code })) : null;
      return row(r.label, value, extra);
    }).reduce(function (all, pair) { return all.concat(pair); }, []));
    panel.appendChild(dl);

    if (view.open_questions.length) {
      panel.appendChild(el("section", { class: "questions", id: "questions" },
        el("h3", { text: ui("questions") }),
        el("ul", null, view.open_questions.map(function (q) {
          return el("li", null, q.text, " ", el("code", { class: "id", text: q.rule }));
        }))));
    }

    // contact requirements: a waived one shows no deadline (it has none), only the exception
    var obSection = el("section", { class: "block", id: "obligations" }, el("h3", { text: ui("obligations") }));
    if (view.obligations.length) {
      var list = el("ul", { class: "obligations" });
      view.obligations.forEach(function (ob) {
        var dates = ob.waived ? null : el("div", { class: "ob-dates" },
          ob.first_by ? el("div", { class: "ob-date" }, el("span", { class: "label", text: ui("first_due") }), el("span", { class: "first", text: ob.first_by })) : null,
          el("div", { class: "ob-date" }, el("span", { class: "label", text: ui("due") }), el("strong", { class: "due", text: ob.by || "–" })));
        list.appendChild(el("li", { class: "obligation" + (ob.waived ? " is-waived" : ""), dataset: { rule: ob.requirement } },
          el("div", { class: "ob-main" },
            el("div", { class: "ob-head" },
              ob.waived ? badge("waived", ui("waived_badge").toUpperCase()) : badge("applies", ui("applies").toUpperCase()),
              el("span", { class: "ob-text", text: ob.text })),
            el("div", { class: "small muted" }, ob.requirement_title, " ", el("code", { class: "id", text: ob.requirement })),
            ob.waived ? el("div", { class: "ob-waived" }, el("strong", { text: ui("waived_under") + ": " }), ob.waived_by_title, " ",
                           el("code", { class: "id", text: ob.rule })) : null),
          dates));
      });
      obSection.appendChild(list);
    } else {
      var pending = view.open_questions.length && view.no_obligations !== ui("none");
      obSection.appendChild(el("p", { class: pending ? "pending" : "muted", id: "no-obligations",
                                      text: pending ? view.no_obligations + " – " + ui("questions").toLowerCase() : view.no_obligations }));
    }
    panel.appendChild(obSection);

    // programmes
    if (view.programmes.length) {
      var pt = el("table", { class: "table compact" },
        el("thead", null, el("tr", null, el("th", { text: ui("programme") }), el("th", { text: ui("programme_status") }))));
      var pb = el("tbody");
      view.programmes.forEach(function (p) {
        pb.appendChild(el("tr", null, el("td", null, p.label, " ", el("code", { class: "id", text: p.id })),
          el("td", null, badge("prog-" + p.status, p.status_label))));
      });
      pt.appendChild(pb);
      panel.appendChild(el("section", { class: "block", id: "programmes" }, el("h3", { text: ui("programmes") }), pt));
    }

    panel.appendChild(renderDecision(view));

    // the timeline comes from its own request (below); its place is kept here
    panel.appendChild(el("section", { class: "block timeline", id: "timeline", "aria-labelledby": "timeline-title" },
      el("h3", { id: "timeline-title", text: ui("tl_title") }),
      el("p", { class: "muted", id: "timeline-status", text: ui("tl_loading") })));

    // what could change the answer: from its own request (below), like the timeline
    panel.appendChild(el("section", { class: "block what-if", id: "what-if", "aria-labelledby": "what-if-title" },
      el("h3", { id: "what-if-title", text: ui("whatif_title") }),
      el("p", { class: "muted", id: "what-if-status", text: ui("whatif_loading") })));

    if (answer.receipt) {
      var rc = answer.receipt, rev = rc.rules_revision ? " @ " + rc.rules_revision.slice(0, 12) + (rc.rules_dirty ? "+" : "") : "";
      panel.appendChild(el("p", { class: "receipt", id: "receipt" },
        el("span", { class: "label", text: ui("receipt") + ": " }),
        "reform " + rc.engine + ", " + ui("receipt_rules") + " " + rc.rules_hash.slice(0, 12) + rev + ", " + rc.made_at));
    }
    panel.appendChild(el("details", { class: "json" }, el("summary", { text: ui("show_json") }),
      el("pre", null, el("code", { text: JSON.stringify(answer, null, 2) }))));
    bringIntoView(panel);
  }

  // -- ask for what is missing: the facts left empty that the rules behind the answer test as not known ------
  // The form's own input for such a fact is marked; the prompt has an input of its own (the fact's label and
  // help from the declaration) that fills the form's and asks again.
  function formControl(item) {
    if (item.on === "citizen") {
      for (var i = 0; i < citizenControls.length; i++) if (citizenControls[i][0].id === item.fact) return citizenControls[i];
      return null;
    }
    var row = $("spells").children[item.spell];
    var found = row && (row._facts || []).filter(function (f) { return f[0].id === item.fact; })[0];
    return found ? [found[0], found[1]] : null;
  }

  function setControl(fact, node, value) {
    delete node._raw;
    if (node.type === "checkbox") node.checked = value === true;
    else if (node.tagName === "SELECT") setSelect(node, fact.type === "bool" ? String(value) : value);
    else setValue(node, value);
    node.dispatchEvent(new Event("change"));
  }

  function markWanted(missing) {
    document.querySelectorAll("#citizen-form .wanted").forEach(function (n) { n.classList.remove("wanted"); });
    missing.forEach(function (item) {
      var control = formControl(item);
      if (control) control[1].closest(".field, .check").classList.add("wanted");
    });
  }

  function renderMissing(missing) {
    markWanted(missing);
    var list = el("ul", { class: "missing-list" });
    missing.forEach(function (item) {
      var fact = factById(item.fact);
      if (!fact) return;
      var ask = factControl(fact, undefined, "ask-" + item.fact);
      var apply = el("button", { type: "button", class: "primary small", text: ui("missing_apply"), on: { click: function () {
        var value = readFact(fact, ask.input);
        if (value === undefined) { ask.input.focus(); return; }
        var control = formControl(item);
        if (control) setControl(control[0], control[1], value);
        submit();
      } } });
      list.appendChild(el("li", { class: "missing-item", dataset: { fact: item.fact } },
        el("p", { class: "missing-decides" }, el("strong", { text: item.text }),
           item.open ? el("span", { class: "small muted" }, " (" + ui("missing_open") + ")") : null),
        el("div", { class: "missing-ask" }, ask.wrap, apply),
        el("p", { class: "small muted missing-rules" }, ui("missing_rules") + ": ",
           item.rules.map(function (r, i) { return [i ? ", " : null, el("code", { class: "id", text: r })]; })
             .reduce(function (all, x) { return all.concat(x); }, []))));
    });
    return el("section", { class: "missing", id: "missing", role: "region", "aria-labelledby": "missing-title" },
      el("h3", { id: "missing-title", text: ui("missing_title") }),
      el("p", { class: "small", text: ui("missing_intro") }), list);
  }

  // The statement of reasons (forvaltningsloven §§ 22–24): the legal rules, the facts, the assessment
  // (the numbered reasons with their sources) and the caveats; printable and copyable as text.
  function renderDecision(view) {
    var d = view.decision;
    var section = el("section", { class: "block decision", id: "decision", "aria-labelledby": "decision-title" },
      el("div", { class: "decision-head" },
        el("div", null, el("h3", { id: "decision-title", text: d.title }), el("p", { class: "muted small law", text: d.law })),
        el("div", { class: "actions" },
          button("copy-decision", ui("copy_decision"), function (ev) { copyText(d.text, ev.target); }))),
      el("p", { class: "intro small", text: d.intro }));

    // the legal rules: each source once, linked, with the places cited and the reasons citing it
    var rules = el("ul", { class: "legal-rules", id: "legal-rules" });
    d.rules.forEach(function (s) {
      rules.appendChild(el("li", { dataset: { ref: s.ref } },
        sourceLink({ href: s.href, name: s.name, ref: s.ref })[0],
        s.title && s.title !== s.name ? el("span", { class: "src-title" }, " – " + s.title) : null,
        el("span", { class: "muted small" }, " · " + [s.date, s.kind_label].filter(Boolean).join(" · ")),
        s.places.length ? el("div", { class: "small muted places" }, s.places.join("; ") + " (" +
          ui("decision_cites").replace("{n}", s.items.join(", ")) + ")") : null));
    });
    section.appendChild(el("h4", { text: ui("decision_rules") }));
    section.appendChild(el("p", { class: "small muted", text: ui("decision_rules_intro") }));
    section.appendChild(rules);

    // the facts: the citizen's details as given
    var f = d.facts;
    var facts = el("dl", { class: "facts-list", id: "facts" });
    f.rows.forEach(function (r) { facts.appendChild(el("dt", { text: r.label })); facts.appendChild(el("dd", { dataset: { key: r.key }, text: r.value })); });
    facts.appendChild(el("dt", { text: f.spells_label }));
    facts.appendChild(el("dd", null, f.spells.length ? el("ul", { class: "fact-spells" },
      f.spells.map(function (sp) { return el("li", { text: sp.text }); })) : f.no_spells));
    section.appendChild(el("h4", { text: ui("decision_facts") }));
    section.appendChild(el("p", { class: "small muted", text: ui("decision_facts_intro") }));
    section.appendChild(facts);

    // the assessment: the numbered reasons
    var ol = el("ol", { class: "reasons", id: "reasons" });
    view.reasons.forEach(function (r) {
      var badges = [];
      if (r.status !== "law") badges.push(statusBadge(r.status, r.status_label));
      if (r.effect === "sets-aside") badges.push(badge("effect", ui("effect_sets_aside")));
      if (r.effect === "waived") badges.push(badge("waived", ui("effect_waived")));
      if (r.undetermined) badges.push(badge("status-provisional", ui("undetermined")));
      ol.appendChild(el("li", { class: "reason" + (r.status !== "law" ? " not-law" : ""), dataset: { rule: r.rule } },
        el("p", { class: "reason-text" }, r.text, badges.length ? " " : null, badges),
        el("p", { class: "reason-source" }, el("span", { class: "label", text: ui("source") + ": " }),
           citationNodes(r.citations || []), " ", el("code", { class: "id", text: r.rule }))));
    });
    section.appendChild(el("h4", { text: ui("decision_assessment") }));
    section.appendChild(el("p", { class: "small muted", text: ui("decision_assessment_intro") }));
    section.appendChild(ol);

    // caveats: what rests on a bill, an agreement or a provisional reading, and what is open
    section.appendChild(el("h4", { text: ui("decision_caveats") }));
    var caveats = el("div", { id: "caveats", class: d.caveats.length ? "caveats has-caveats" : "caveats" });
    if (d.caveats.length) {
      caveats.appendChild(el("p", { class: "small", text: ui("decision_caveats_intro") }));
      caveats.appendChild(el("ul", null, d.caveats.map(function (c) {
        return el("li", null, c.text + " ", el("code", { class: "id", text: c.rule }));
      })));
    } else {
      caveats.appendChild(el("p", { class: "small", text: ui("decision_caveats_none") }));
    }
    if (d.open_questions.length) {
      caveats.appendChild(el("p", { class: "small", text: ui("decision_open") }));
      caveats.appendChild(el("ul", null, d.open_questions.map(function (q) { return el("li", { text: q.text }); })));
    }
    section.appendChild(caveats);
    return section;
  }

  // -- what could change the answer ------------------------------------------------------------------
  function loadWhatIf(request, n) {
    return fetch("/api/what-if", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ citizen: request.citizen, date: request.date, lang: lang })
    }).then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (res) {
        if (n !== asked) return;
        if (res.status === 200) renderWhatIf(res.body.what_would_change);
        else whatIfFailed();
      }).catch(function () { if (n === asked) whatIfFailed(); });
  }

  function whatIfFailed() {
    var status = $("what-if-status");
    if (status) { status.textContent = ui("whatif_error"); status.className = "warn"; }
  }

  function ruleLinks(items) {
    var out = [];
    items.forEach(function (r, i) {
      if (i) out.push("; ");
      out.push(el("a", { href: "/rules?lang=" + lang + "#" + encodeURIComponent(r.rule), target: "_blank", rel: "noopener",
                         text: r.title }), " ", el("code", { class: "id", text: r.rule }));
    });
    return out;
  }

  function renderWhatIf(changes) {
    var section = $("what-if");
    if (!section) return;
    section.innerHTML = "";
    section.appendChild(el("h3", { id: "what-if-title", text: ui("whatif_title") }));
    if (!changes.length) {
      section.appendChild(el("p", { class: "muted", id: "what-if-none", text: ui("whatif_none") }));
      return;
    }
    section.appendChild(el("p", { class: "small muted", id: "what-if-intro", text: ui("whatif_intro") }));
    section.appendChild(el("ol", { class: "what-if-list", id: "what-if-list" }, changes.map(function (c) {
      return el("li", { class: "wi-item wi-" + c.kind, dataset: { kind: c.kind, fact: c.fact, date: c.date } },
        el("p", { class: "wi-move" }, el("strong", { text: c.text })),
        el("dl", { class: "wi-changes" }, c.changes.map(function (x) {
          return [el("dt", { text: x.label }),
                  el("dd", { dataset: { field: x.field } }, el("span", { class: "wi-before", text: x.before }),
                     el("span", { class: "wi-arrow", "aria-label": ui("whatif_becomes"), text: " → " }),
                     el("span", { class: "wi-after", text: x.after }))];
        }).reduce(function (all, pair) { return all.concat(pair); }, [])),
        c.starts.length ? el("p", { class: "small wi-rules wi-starts" }, el("strong", { text: ui("whatif_starts") + ": " }),
                               ruleLinks(c.starts)) : null,
        c.stops.length ? el("p", { class: "small wi-rules wi-stops" }, el("strong", { text: ui("whatif_stops") + ": " }),
                              ruleLinks(c.stops)) : null);
    })));
  }

  // -- the timeline ---------------------------------------------------------------------------------
  function loadTimeline(request, n) {
    return fetch("/api/timeline/view", {
      method: "POST", headers: { "Content-Type": "application/json", "Accept": "application/json" },
      body: JSON.stringify({ citizen: request.citizen, date: request.date, lang: lang })
    }).then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); })
      .then(function (res) {
        if (n !== asked) return;
        if (res.status === 200) renderTimeline(res.body);
        else timelineFailed();
      }).catch(function () { if (n === asked) timelineFailed(); });
  }

  function timelineFailed() {
    var status = $("timeline-status");
    if (status) { status.textContent = ui("tl_error"); status.className = "warn"; }
  }

  function ruleList(items) {
    return el("ul", { class: "tl-rules" }, items.map(function (r) {
      return el("li", null, r.title, r.status !== "law" ? [" ", statusBadge(r.status, r.status_label)] : null,
        r.citations.length ? el("div", { class: "small muted" }, ui("source") + ": ", citationNodes(r.citations)) : null);
    }));
  }

  function renderTimeline(tl) {
    var section = $("timeline");
    if (!section) return;
    section.innerHTML = "";
    section.appendChild(el("h3", { id: "timeline-title", text: ui("tl_title") }));
    section.appendChild(el("p", { class: "small muted", id: "timeline-intro" },
      formatNodes(ui("tl_intro"), { from: tl.from, to: tl.to })));

    var figure = el("figure", { class: "tl-figure" });
    var holder = el("div", { class: "tl-svg", role: "img", "aria-label": ui("tl_picture") + " (" + ui("tl_n_periods").replace("{n}", tl.periods.length) + ")" });
    try {
      var doc = new DOMParser().parseFromString(tl.svg, "image/svg+xml");
      if (!doc.querySelector("parsererror")) {
        var svg = document.importNode(doc.documentElement, true);
        svg.setAttribute("aria-hidden", "true");
        svg.setAttribute("focusable", "false");
        holder.appendChild(svg);
      }
    } catch (e) { /* the list below says the same */ }
    figure.appendChild(holder);
    figure.appendChild(el("figcaption", { class: "small muted", text: ui("tl_picture") }));
    section.appendChild(figure);

    section.appendChild(el("h4", { text: ui("tl_list") }));
    var ol = el("ol", { class: "tl-list", id: "timeline-list" });
    tl.periods.forEach(function (p, i) {
      var li = el("li", { class: "tl-period" + (p.holds_date ? " holds-date" : ""), dataset: { from: p.from, to: p.to } },
        el("h5", null, el("time", { datetime: p.from, text: p.from }), " – ", el("time", { datetime: p.to, text: p.to }),
          p.holds_date ? [" ", badge("applies", ui("tl_this_date"))] : null,
          p.status.id !== "law" ? [" ", statusBadge(p.status.id, p.status.label)] : null));
      var lanes = el("dl", { class: "tl-lanes" });
      p.lanes.forEach(function (lane) {
        lanes.appendChild(el("dt", { text: lane.title }));
        lanes.appendChild(el("dd", { dataset: { lane: lane.field }, text: lane.label }));
      });
      li.appendChild(lanes);
      if (i === 0) {
        li.appendChild(el("p", { class: "small muted", text: ui("tl_first") }));
      } else {
        if (p.changed.length) li.appendChild(el("p", { class: "tl-changed" }, el("strong", { text: ui("tl_changes") + ": " }),
          p.changed.map(function (c) { return c.label; }).join(", ")));
        // why: what happened to the citizen (a spell, a birthday, months passing), and how many rules
        // came into force or ended that day (they are listed below, each with its sources)
        var events = p.causes.filter(function (c) { return !c.rule; }).map(function (c) { return c.text; });
        var ruleEvents = p.causes.filter(function (c) { return c.rule; }).length;
        if (ruleEvents) events.push(ui("tl_rules_change").replace("{n}", ruleEvents));
        if (events.length) li.appendChild(el("p", { class: "tl-why" }, el("strong", { text: ui("tl_why") + ": " }),
          events.join("; ")));
        [["now_apply", "tl_now_apply"], ["no_longer", "tl_no_longer"]].forEach(function (pair) {
          var items = p[pair[0]];
          if (!items.length) return;
          li.appendChild(el("details", { class: "tl-rules-box", open: items.length <= 3 },
            el("summary", null, ui(pair[1]) + " (" + items.length + ")"), ruleList(items)));
        });
      }
      ol.appendChild(li);
    });
    section.appendChild(ol);
  }

  // -- the permalink: the citizen and the date in the #fragment, never in a query string --------------
  function encode(request) {
    var bytes = new TextEncoder().encode(JSON.stringify({ c: request.citizen, d: request.date }));
    var bin = "";
    bytes.forEach(function (b) { bin += String.fromCharCode(b); });
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function decode(text) {
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var bin = atob(b64);
    var bytes = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    var data = JSON.parse(new TextDecoder().decode(bytes));
    if (!data || typeof data !== "object" || typeof data.c !== "object" || data.c === null) throw new Error("shape");
    return { citizen: data.c, date: typeof data.d === "string" ? data.d : "" };
  }

  var remembered = "";
  function remember(request) {
    remembered = "#a=" + encode(request);
    history.replaceState(null, "", window.location.pathname + window.location.search + remembered);
  }

  function restore() {
    var m = /^#a=([A-Za-z0-9_-]+)$/.exec(window.location.hash);
    if (!m || window.location.hash === remembered) return false;
    var request;
    try { request = decode(m[1]); } catch (e) {
      showErrors([{ field: "citizen", text: ui("permalink_bad"), node: null }]);
      return true;
    }
    remembered = window.location.hash;
    fillCitizen(request.citizen);
    setDate($("f-date"), request.date);
    document.querySelectorAll(".example-buttons button").forEach(function (b) { b.classList.remove("selected"); });
    ask({ citizen: readCitizen(), date: request.date });
    return true;
  }

  function copyText(value, button, doneLabel) {
    var done = function () {
      var old = button.textContent;
      button.textContent = doneLabel || ui("copied");
      setTimeout(function () { button.textContent = old; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(value).then(done, function () { fallbackCopy(value); done(); });
    } else { fallbackCopy(value); done(); }
  }

  function fallbackCopy(value) {
    var area = el("textarea", { class: "offscreen", readonly: true });
    area.value = value;
    document.body.appendChild(area);
    area.select();
    try { document.execCommand("copy"); } catch (e) { /* nothing to do */ }
    area.remove();
  }

  // -- examples and files --------------------------------------------------------------------------
  function loadExample(name, thenAsk) {
    return fetch("/api/examples/" + encodeURIComponent(name)).then(function (r) { return r.json(); }).then(function (body) {
      if (!body.citizen) { showErrors(body.messages || ["?"]); return; }
      fillCitizen(body.citizen);
      document.querySelectorAll(".example-buttons button").forEach(function (b) {
        b.classList.toggle("selected", b.dataset.name === name);
      });
      if (thenAsk && $("f-date").value.trim()) submit();
    });
  }

  function setupExamples() {
    if (!config.examples) return Promise.resolve();
    return fetch("/api/examples").then(function (r) { return r.json(); }).then(function (list) {
      if (!Array.isArray(list) || !list.length) return;
      var box = $("example-buttons");
      list.forEach(function (ex) {
        box.appendChild(el("button", { type: "button", class: "chip", dataset: { name: ex.name }, title: ex.note || null,
                                       text: ex.id || ex.name, on: { click: function () { loadExample(ex.name, true); } } }));
      });
      $("examples").hidden = false;
    }).catch(function () { /* no examples: the buttons stay hidden */ });
  }

  function upload(ev) {
    var file = ev.target.files && ev.target.files[0];
    if (!file) return;
    if (file.size > 1000000) {
      showErrors([{ field: "file", text: ui("error_file_large").replace("{name}", file.name), node: null }]);
      return;
    }
    file.text().then(function (content) {
      return fetch("/api/citizen/parse", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ text: content, name: file.name })
      }).then(function (r) { return r.json().then(function (b) { return { status: r.status, body: b }; }); });
    }).then(function (res) {
      if (res.status === 200) {
        fillCitizen(res.body.citizen);
        document.querySelectorAll(".example-buttons button").forEach(function (b) { b.classList.remove("selected"); });
        if ($("f-date").value.trim()) submit();
      } else showErrors(res.body.messages || [String(res.status)], res.body.problems);
    }).catch(function () { showErrors([ui("error_network")]); })
      .then(function () { ev.target.value = ""; });
  }

  function clearForm() {
    fillCitizen({ id: "", spells: [] });
    lastRequest = null;
    asked++;
    remembered = "";
    history.replaceState(null, "", window.location.pathname + window.location.search);
    var panel = $("answer");
    panel.innerHTML = "";
    panel.appendChild(el("p", { class: "placeholder", text: ui("no_answer") }));
    document.querySelectorAll(".example-buttons button").forEach(function (b) { b.classList.remove("selected"); });
  }

  // -- language -----------------------------------------------------------------------------------
  function applyLang() {
    document.documentElement.lang = lang;
    document.querySelectorAll("[data-i18n]").forEach(function (n) { n.textContent = ui(n.dataset.i18n); });
    document.querySelectorAll("[data-i18n-placeholder]").forEach(function (n) { n.placeholder = ui(n.dataset.i18nPlaceholder); });
    document.querySelectorAll("[data-i18n-title]").forEach(function (n) { n.title = ui(n.dataset.i18nTitle); });
    document.title = ui("citizen_title") + " – " + ui("app_title");
    $("answer").setAttribute("aria-label", ui("answer_region"));
    var other = lang === "da" ? "en" : "da";
    var sw = $("lang-switch");
    sw.href = "?lang=" + other;
    sw.hreflang = other;
    sw.lang = other;
    document.querySelectorAll("[data-nav]").forEach(function (a) { a.href = a.dataset.nav + "?lang=" + lang; });
    // the form carries the declaration's labels and titles: rebuild it with its values
    renderCitizenFacts(readCitizen());
    renderSpellButtons();
    var spells = Array.prototype.map.call($("spells").children, function (r) { return { kind: r.dataset.kind, data: readSpell(r), extras: r._extras }; });
    $("spells").innerHTML = "";
    spells.forEach(function (s) {
      if (s.extras) s.data.__extras = s.extras;
      addSpell(s.kind, s.data);
    });
    updateEmpty();
  }

  function switchLang(ev) {
    ev.preventDefault();
    lang = lang === "da" ? "en" : "da";
    var params = new URLSearchParams(window.location.search);
    params.set("lang", lang);
    history.replaceState(null, "", "?" + params.toString() + window.location.hash);  // the #fragment stays
    applyLang();
    if (lastRequest) ask(lastRequest);
    else if (!$("answer").querySelector(".error-box")) {
      var p = $("answer").querySelector(".placeholder");
      if (p) p.textContent = ui("no_answer");
    }
  }

  // -- start ----------------------------------------------------------------------------------------
  $("citizen-form").addEventListener("submit", submit);
  renderCitizenFacts({});
  renderSpellButtons();
  $("upload").addEventListener("change", upload);
  $("clear").addEventListener("click", clearForm);
  $("lang-switch").addEventListener("click", switchLang);
  window.addEventListener("hashchange", restore);  // a permalink pasted into this tab
  updateEmpty();

  var params = new URLSearchParams(window.location.search);
  if (params.get("date")) setDate($("f-date"), params.get("date"));
  setupExamples().then(function () {
    if (restore()) return;  // a permalink: the citizen and the date from the #fragment
    if (params.get("example")) loadExample(params.get("example"), true);
  });
})();
