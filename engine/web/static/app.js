/* The caseworker page: a citizen form, the answer from /api/explain, Danish and English.
   Plain JavaScript, no libraries, no external requests; nothing is stored in the browser. */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("config").textContent);
  var vocab = config.vocabulary;
  var lang = config.lang;
  var lastRequest = null;    // the last citizen + date asked about (re-asked on a language switch)
  var extras = {};           // fields of a loaded file the form has no input for (sent on, so the API names them)

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

  // -- the spells ------------------------------------------------------------------------------
  function terms(kind) { return kind === "benefit" ? vocab.benefits : vocab.programmes; }
  function title(term) { return term.title[lang] || term.id; }

  function select(name, options, value, blank) {
    var s = el("select", { name: name, "aria-label": ui("f_" + name) });
    if (blank) s.appendChild(el("option", { value: "", text: blank }));
    var known = false;
    options.forEach(function (t) {
      if (t.id === value) known = true;
      s.appendChild(el("option", { value: t.id, text: title(t) }));
    });
    if (value !== undefined && value !== null && value !== "" && !known) {
      // a value the vocabulary does not list (an older name, or a mistake): keep it, so the API can judge it
      s.appendChild(el("option", { value: String(value), text: String(value) }));
    }
    s.value = value === undefined || value === null ? "" : String(value);
    return s;
  }

  function input(name, value, attrs) {
    var a = Object.assign({ name: name, value: value === undefined || value === null ? "" : String(value) }, attrs || {});
    return el("input", a);
  }

  function field(key, control, cls) {
    return el("label", { class: "field " + (cls || "") }, el("span", { text: ui(key) }), control);
  }

  function spellRow(kind, data) {
    data = data || {};
    var row = el("div", { class: "spell spell-" + kind, dataset: { kind: kind } });
    var what = select(kind, terms(kind), data[kind], ui("choose"));
    what.classList.add("what");
    var from = input("from", data.from, { placeholder: ui("date_hint"), inputmode: "numeric", maxlength: 10 });
    var to = input("to", data.to, { placeholder: ui("date_hint"), inputmode: "numeric", maxlength: 10 });
    var remove = el("button", { type: "button", class: "remove", title: ui("remove_row"), "aria-label": ui("remove_row"),
                                text: "×", on: { click: function () { row.remove(); updateEmpty(); } } });
    row.appendChild(el("div", { class: "spell-main" },
      el("span", { class: "kind kind-" + kind, text: ui("kind_" + kind) }),
      field("f_what", what, "grow"), field("f_from", from, "date"), field("f_to", to, "date"), remove));

    if (kind === "benefit") {
      var assessment = select("assessment", vocab.assessments, data.assessment, ui("not_given"));
      var sickFrom = select("sick_from", vocab.sick_from, data.sick_from, ui("not_given"));
      var weeks = input("expected_absence_weeks", data.expected_absence_weeks,
                        { inputmode: "numeric", maxlength: 4, class: "weeks" });
      var unc = el("input", { type: "checkbox", name: "uncomplicated" });
      unc.checked = data.uncomplicated === true;
      var details = el("div", { class: "spell-details" },
        field("f_assessment", assessment, "assessment"),
        field("f_sick_from", sickFrom, "sick"),
        field("f_expected_absence_weeks", weeks, "sick"),
        el("label", { class: "check sick" }, unc, " ", el("span", { text: ui("f_uncomplicated") })));
      row.appendChild(details);
      var refresh = function () {
        var b = what.value;
        var showAssessment = vocab.assessment_with.indexOf(b) >= 0 || assessment.value !== "";
        var showSick = vocab.sick_from_with.indexOf(b) >= 0 || sickFrom.value !== "" || weeks.value !== "" || unc.checked;
        details.querySelectorAll(".assessment").forEach(function (n) { n.hidden = !showAssessment; });
        details.querySelectorAll(".sick").forEach(function (n) { n.hidden = !showSick; });
        details.hidden = !showAssessment && !showSick;
      };
      what.addEventListener("change", refresh);
      refresh();
    }
    if (data.__extras) row._extras = data.__extras;
    return row;
  }

  function addSpell(kind, data) {
    $("spells").appendChild(spellRow(kind, data));
    updateEmpty();
  }

  function updateEmpty() { $("spells-empty").hidden = $("spells").children.length > 0; }

  // -- form <-> citizen ----------------------------------------------------------------------------
  var SPELL_KEYS = ["benefit", "programme", "from", "to", "assessment", "sick_from", "expected_absence_weeks", "uncomplicated"];
  var TOP_KEYS = ["id", "note", "born", "municipality", "vocational_education", "exempted", "work_duty", "spells"];
  var FLAGS = ["vocational_education", "exempted", "work_duty"];

  function readSpell(row) {
    var kind = row.dataset.kind;
    var get = function (name) { var n = row.querySelector("[name='" + name + "']"); return n ? n.value.trim() : ""; };
    var spell = {};
    spell[kind] = get(kind);
    spell.from = get("from");
    if (get("to")) spell.to = get("to");
    if (kind === "benefit") {
      if (get("assessment")) spell.assessment = get("assessment");
      if (get("sick_from")) spell.sick_from = get("sick_from");
      var w = get("expected_absence_weeks");
      if (w !== "") spell.expected_absence_weeks = /^\d+$/.test(w) ? Number(w) : w;
      if (row.querySelector("[name='uncomplicated']").checked) spell.uncomplicated = true;
    }
    if (row._extras) Object.assign(spell, row._extras);
    return spell;
  }

  function readCitizen() {
    var c = { id: $("f-id").value.trim() };
    if ($("f-born").value.trim()) c.born = $("f-born").value.trim();
    if ($("f-municipality").value.trim()) c.municipality = $("f-municipality").value.trim();
    FLAGS.forEach(function (f) { if ($("f-" + f).checked) c[f] = true; });
    c.spells = Array.prototype.map.call($("spells").children, readSpell);
    Object.assign(c, extras);
    return c;
  }

  function text(value) { return value === undefined || value === null ? "" : String(value); }

  function fillCitizen(c) {
    clearErrors();
    extras = {};
    Object.keys(c).forEach(function (k) { if (TOP_KEYS.indexOf(k) < 0) extras[k] = c[k]; });
    $("f-id").value = text(c.id);
    $("f-born").value = text(c.born);
    $("f-municipality").value = text(c.municipality);
    FLAGS.forEach(function (f) {
      var v = c[f];
      $("f-" + f).checked = v === true;
      if (v !== undefined && v !== null && typeof v !== "boolean") extras[f] = v;  // let the API name it
    });
    $("spells").innerHTML = "";
    (Array.isArray(c.spells) ? c.spells : []).forEach(function (s) {
      if (!s || typeof s !== "object" || Array.isArray(s)) return;
      var kind = "programme" in s && !("benefit" in s) ? "programme" : "benefit";
      var more = {};
      Object.keys(s).forEach(function (k) { if (SPELL_KEYS.indexOf(k) < 0) more[k] = s[k]; });
      if (kind === "benefit" && "programme" in s) more.programme = s.programme;
      if (Object.keys(more).length) s = Object.assign({}, s, { __extras: more });
      addSpell(kind, s);
    });
    updateEmpty();
    var note = $("persona-note");
    note.hidden = !c.note;
    note.textContent = c.note ? String(c.note) : "";
  }

  // -- asking ---------------------------------------------------------------------------------------
  function ask(request) {
    lastRequest = request;
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
      if (res.status === 200) renderAnswer(res.body.view, res.body.answer);
      else showErrors(res.body.messages || [String(res.status)]);
    }).catch(function () {
      showErrors([ui("error_network")]);
    }).then(function () {
      panel.classList.remove("busy");
      panel.removeAttribute("aria-busy");
      $("submit").disabled = false;
    });
  }

  function submit(ev) {
    if (ev) ev.preventDefault();
    clearErrors();
    ask({ citizen: readCitizen(), date: $("f-date").value.trim() });
  }

  // -- errors -------------------------------------------------------------------------------------
  function clearErrors() {
    document.querySelectorAll(".invalid").forEach(function (n) { n.classList.remove("invalid"); n.removeAttribute("aria-invalid"); });
  }

  function mark(node) { if (node) { node.classList.add("invalid"); node.setAttribute("aria-invalid", "true"); } }

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

  function showErrors(messages) {
    var panel = $("answer");
    panel.innerHTML = "";
    panel.appendChild(el("div", { class: "error-box", role: "alert" },
      el("h2", { text: ui("error_title") }),
      el("ul", null, messages.map(function (m) { return el("li", null, el("code", { text: m })); }))));
    messages.forEach(highlight);
    panel.scrollIntoView({ block: "nearest" });
  }

  // -- the answer ----------------------------------------------------------------------------------
  function badge(cls, label, titleText) { return el("span", { class: "badge " + cls, text: label, title: titleText || null }); }
  function statusBadge(status, label) { return badge("status-" + status, label); }

  function row(label, value, extra) {
    return [el("dt", { text: label }), el("dd", null, value, extra || null)];
  }

  function renderAnswer(view, answer) {
    var panel = $("answer");
    panel.innerHTML = "";
    panel.dataset.lang = view.lang;

    var head = el("div", { class: "answer-head" },
      el("h2", null, formatNodes(ui("answer_for"), { citizen: view.citizen, date: view.date })),
      el("div", { class: "actions" },
        el("button", { type: "button", class: "secondary small", id: "copy-text", text: ui("copy_text"),
                       on: { click: function (ev) { copyText(view.text, ev.target); } } })));
    panel.appendChild(head);

    var law = view.status.is_law;
    panel.appendChild(el("div", { class: "rests " + (law ? "rests-law" : "rests-other status-" + view.status.id), id: "rests-on" },
      el("span", { class: "rests-icon", "aria-hidden": "true", text: law ? "✓" : "!" }),
      el("div", null,
        el("strong", null, ui("rests_on") + ": ", el("span", { class: "rests-status", text: view.status.label })),
        el("p", { text: law ? ui("rests_law") : ui("rests_other") }))));

    var tg = view.target_group;
    var dl = el("dl", { class: "summary", id: "summary" },
      row(ui("phase"), el("span", { id: "v-phase", text: view.phase.label }),
          view.phase.id ? el("code", { class: "id", text: view.phase.id }) : null),
      row(ui("group"), el("strong", { id: "v-group", text: tg.label }),
          tg.id ? el("span", { class: "sub" }, el("code", { class: "id", text: tg.id }), " · " + tg.structure_label) : null),
      row(ui("sanction"), el("span", { id: "v-sanction", text: view.sanctionable.label })),
      row(ui("trial"), el("span", { id: "v-trial", text: view.trial.label }),
          view.trial.id ? el("code", { class: "id", text: view.trial.id }) : null),
      view.jobpraemie ? row(ui("jobpraemie"), el("span", { text: ui("yes") })) : null);
    panel.appendChild(dl);

    if (view.open_questions.length) {
      panel.appendChild(el("section", { class: "questions", id: "questions" },
        el("h3", { text: ui("questions") }),
        el("ul", null, view.open_questions.map(function (q) {
          return el("li", null, q.text, " ", el("code", { class: "id", text: q.rule }));
        }))));
    }

    // contact requirements
    var obSection = el("section", { class: "block", id: "obligations" }, el("h3", { text: ui("obligations") }));
    if (view.obligations.length) {
      var list = el("ul", { class: "obligations" });
      view.obligations.forEach(function (ob) {
        var dates = el("div", { class: "ob-dates" },
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

    // reasons
    var ol = el("ol", { class: "reasons", id: "reasons" });
    view.reasons.forEach(function (r) {
      var badges = [];
      if (r.status !== "law") badges.push(statusBadge(r.status, r.status_label));
      if (r.effect === "sets-aside") badges.push(badge("effect", ui("effect_sets_aside")));
      if (r.effect === "waived") badges.push(badge("waived", ui("effect_waived")));
      if (r.undetermined) badges.push(badge("status-provisional", ui("undetermined")));
      ol.appendChild(el("li", { class: "reason" + (r.status !== "law" ? " not-law" : ""), dataset: { rule: r.rule } },
        el("p", { class: "reason-text" }, r.text, badges.length ? " " : null, badges),
        el("p", { class: "reason-source" }, el("span", { class: "label", text: ui("source") + ": " }), r.source,
           " ", el("code", { class: "id", text: r.rule }))));
    });
    panel.appendChild(el("section", { class: "block" }, el("h3", { text: ui("because") }), ol));

    if (answer.receipt) {
      var rc = answer.receipt, rev = rc.rules_revision ? " @ " + rc.rules_revision.slice(0, 12) + (rc.rules_dirty ? "+" : "") : "";
      panel.appendChild(el("p", { class: "receipt", id: "receipt" },
        el("span", { class: "label", text: ui("receipt") + ": " }),
        "reform " + rc.engine + ", " + ui("receipt_rules") + " " + rc.rules_hash.slice(0, 12) + rev + ", " + rc.made_at));
    }
    panel.appendChild(el("details", { class: "json" }, el("summary", { text: ui("show_json") }),
      el("pre", null, el("code", { text: JSON.stringify(answer, null, 2) }))));
  }

  function copyText(value, button) {
    var done = function () {
      var old = button.textContent;
      button.textContent = ui("copied");
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
    if (file.size > 1000000) { showErrors(["file: " + file.name + " is over 1,000,000 bytes"]); return; }
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
      } else showErrors(res.body.messages || [String(res.status)]);
    }).catch(function () { showErrors([ui("error_network")]); })
      .then(function () { ev.target.value = ""; });
  }

  function clearForm() {
    fillCitizen({ id: "", spells: [] });
    lastRequest = null;
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
    var other = lang === "da" ? "en" : "da";
    var sw = $("lang-switch");
    sw.href = "?lang=" + other;
    sw.hreflang = other;
    sw.lang = other;
    document.querySelectorAll("[data-nav]").forEach(function (a) { a.href = a.dataset.nav + "?lang=" + lang; });
    // the spell rows carry vocabulary titles: rebuild them with their values
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
    history.replaceState(null, "", "?" + params.toString());
    applyLang();
    if (lastRequest) ask(lastRequest);
    else if (!$("answer").querySelector(".error-box")) {
      var p = $("answer").querySelector(".placeholder");
      if (p) p.textContent = ui("no_answer");
    }
  }

  // -- start ----------------------------------------------------------------------------------------
  $("citizen-form").addEventListener("submit", submit);
  $("add-benefit").addEventListener("click", function () { addSpell("benefit", {}); });
  $("add-programme").addEventListener("click", function () { addSpell("programme", {}); });
  $("upload").addEventListener("change", upload);
  $("clear").addEventListener("click", clearForm);
  $("lang-switch").addEventListener("click", switchLang);
  updateEmpty();

  var params = new URLSearchParams(window.location.search);
  if (params.get("date")) $("f-date").value = params.get("date");
  setupExamples().then(function () {
    if (params.get("example")) loadExample(params.get("example"), true);
  });
})();
