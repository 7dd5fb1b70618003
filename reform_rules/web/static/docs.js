/* The API page: /openapi.json rendered without a CDN (FastAPI's default /docs loads Swagger UI from one). */
(function () {
  "use strict";
  var root = document.getElementById("api");

  function el(tag, cls, text) {
    var n = document.createElement(tag);
    if (cls) n.className = cls;
    if (text !== undefined && text !== null) n.textContent = text;
    return n;
  }

  function resolve(doc, schema, depth) {
    // inline $refs a few levels deep, so a request body reads as one example-like schema
    if (!schema || typeof schema !== "object" || depth > 4) return schema;
    if (schema.$ref) {
      var name = schema.$ref.split("/").pop();
      return resolve(doc, (doc.components && doc.components.schemas && doc.components.schemas[name]) || {}, depth + 1);
    }
    var out = Array.isArray(schema) ? [] : {};
    Object.keys(schema).forEach(function (k) { out[k] = resolve(doc, schema[k], depth); });
    return out;
  }

  function pre(value) {
    var p = el("pre");
    p.appendChild(el("code", null, JSON.stringify(value, null, 2)));
    return p;
  }

  fetch("/openapi.json").then(function (r) { return r.json(); }).then(function (doc) {
    root.innerHTML = "";
    var info = el("section");
    info.appendChild(el("h2", null, doc.info.title + " " + doc.info.version));
    (doc.info.description || "").split(/\n\n+/).forEach(function (para) { info.appendChild(el("p", null, para.replace(/\n/g, " "))); });
    root.appendChild(info);
    Object.keys(doc.paths).forEach(function (path) {
      var ops = doc.paths[path];
      Object.keys(ops).forEach(function (method) {
        var op = ops[method];
        var d = el("details", "op");
        var s = el("summary");
        s.appendChild(el("span", "method method-" + method, method.toUpperCase()));
        s.appendChild(el("code", "path", path));
        s.appendChild(el("span", "muted", op.summary || ""));
        d.appendChild(s);
        var body = el("div", "op-body");
        if (op.description) body.appendChild(el("p", null, op.description));
        if (op.parameters && op.parameters.length) {
          body.appendChild(el("h4", null, "Parameters"));
          var ul = el("ul");
          op.parameters.forEach(function (p) {
            ul.appendChild(el("li", null, p.name + " (" + p["in"] + (p.required ? ", required" : "") + ")"));
          });
          body.appendChild(ul);
        }
        var rb = op.requestBody && op.requestBody.content && op.requestBody.content["application/json"];
        if (rb) {
          if (rb.example) { body.appendChild(el("h4", null, "Example request body")); body.appendChild(pre(rb.example)); }
          body.appendChild(el("h4", null, "Request body schema"));
          body.appendChild(pre(resolve(doc, rb.schema, 0)));
        }
        if (op.responses) {
          body.appendChild(el("h4", null, "Responses"));
          var rl = el("ul");
          Object.keys(op.responses).forEach(function (code) {
            rl.appendChild(el("li", null, code + ": " + (op.responses[code].description || "")));
          });
          body.appendChild(rl);
        }
        d.appendChild(body);
        root.appendChild(d);
      });
    });
  }).catch(function (e) { root.textContent = "Could not read /openapi.json: " + e; });
})();
