// The workbench's runs: start a run through the API, follow its job, draw its result.
// Every text from the server is set with textContent (never parsed as HTML).
(function () {
  "use strict";

  var POLL_MS = 250;
  var dataNode = document.getElementById("runs-data");
  var data = dataNode ? JSON.parse(dataNode.textContent) : null;
  var tokenNode = document.querySelector('meta[name="csrf-token"]');
  var csrf = tokenNode ? tokenNode.getAttribute("content") : "";

  function el(tag, text) {
    var node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function pct(x) { return (100 * x).toFixed(1) + "%"; }

  function request(method, url, body) {
    var options = {
      method: method,
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf }
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    return fetch(url, options).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (json) {
        return { ok: response.ok, status: response.status, body: json };
      });
    });
  }

  function errorText(body, status) {
    var detail = body && body.detail;
    if (Array.isArray(detail)) {
      return detail.map(function (d) {
        var where = (d.loc || []).filter(function (p) { return p !== "body"; }).join(".");
        return (where ? where + ": " : "") + d.msg;
      }).join("; ");
    }
    if (typeof detail === "string") return (body.field ? body.field + ": " : "") + detail;
    return "the request failed (HTTP " + status + ")";
  }

  function issueOf(name) {
    return data.issues.filter(function (i) { return i.name === name; })[0];
  }

  function optionLabel(issue, option) {
    var found = issueOf(issue);
    if (!found) return option;
    var o = found.options.filter(function (x) { return x.name === String(option); })[0];
    return o ? o.label : option;
  }

  function dealTable(table, deal) {
    var body = table.querySelector("tbody");
    body.textContent = "";
    Object.keys(deal || {}).forEach(function (issue) {
      var row = el("tr");
      var found = issueOf(issue);
      row.appendChild(el("td", found ? found.label : issue));
      row.appendChild(el("td", optionLabel(issue, deal[issue])));
      body.appendChild(row);
    });
  }

  function dealOf(form, prefix) {
    var solution = form.querySelector('[name="' + prefix + '-solution"]').value;
    var chosen = {};
    var any = false;
    form.querySelectorAll('[name="' + prefix + '-issue"]').forEach(function (select) {
      if (select.value) { chosen[select.dataset.issue] = select.value; any = true; }
    });
    return any ? chosen : solution;
  }

  function number(form, name) { return parseInt(form.querySelector('[name="' + name + '"]').value, 10); }

  var BODIES = {
    rehearsal: function (form) {
      var strategies = {};
      form.querySelectorAll('[name="strategy"]').forEach(function (select) {
        if (select.value) strategies[select.dataset.party] = select.value;
      });
      return {
        strategies: strategies,
        protocol: form.querySelector('[name="protocol"]').value,
        deadline: number(form, "deadline"),
        seed: number(form, "seed")
      };
    },
    durability: function (form) {
      var versus = form.querySelector('[name="versus"]').value;
      var second = null;
      if (versus) {
        var parts = versus.split("=");
        second = {};
        second[parts[0]] = parts.slice(1).join("=");
      }
      var mechanisms = [];
      form.querySelectorAll('[name="mechanisms"]:checked').forEach(function (box) { mechanisms.push(box.value); });
      return {
        deal: dealOf(form, "deal"),
        versus: second,
        mechanisms: mechanisms,
        deal_terms: form.querySelector('[name="deal_terms"]').checked,
        compare: form.querySelector('[name="compare"]').checked,
        paths: number(form, "paths"),
        days: number(form, "days"),
        seed: number(form, "seed")
      };
    },
    forecast: function (form) { return { model: form.querySelector('[name="model"]').value }; },
    briefing: function (form) {
      var recommended = form.querySelector('[name="recommended"]').checked;
      return {
        deal: recommended ? null : dealOf(form, "deal"),
        paths: number(form, "paths"),
        seed: number(form, "seed")
      };
    }
  };

  function plot(id, traces, layout) {
    var node = document.getElementById(id);
    if (!node) return;
    if (!window.Plotly) { node.textContent = "The plot needs plotly.js, which did not load."; return; }
    var base = { margin: { t: 30, r: 20, b: 50, l: 60 }, legend: { orientation: "h" } };
    window.Plotly.newPlot(node, traces, Object.assign(base, layout), { displaylogo: false, responsive: true });
  }

  function survivalTraces(run, name, color) {
    var days = run.survival.map(function (_, k) { return k + 1; });
    return [
      { x: days, y: run.upper, mode: "lines", line: { width: 0 }, hoverinfo: "skip", showlegend: false, name: name + " band" },
      { x: days, y: run.lower, mode: "lines", line: { width: 0 }, fill: "tonexty", fillcolor: color + "33", hoverinfo: "skip", showlegend: false, name: name + " band" },
      { x: days, y: run.survival, mode: "lines", line: { color: color, width: 2 }, name: name }
    ];
  }

  function table(caption, headers, rows) {
    var t = el("table");
    t.className = "list";
    t.appendChild(el("caption", caption));
    var head = el("thead");
    var hr = el("tr");
    headers.forEach(function (h) { hr.appendChild(el("th", h)); });
    head.appendChild(hr);
    t.appendChild(head);
    var body = el("tbody");
    rows.forEach(function (cells) {
      var tr = el("tr");
      cells.forEach(function (c) { tr.appendChild(el("td", c)); });
      body.appendChild(tr);
    });
    t.appendChild(body);
    return t;
  }

  function describeDeal(run, base) {
    var changed = Object.keys(run.deal).filter(function (k) { return !base || base.deal[k] !== run.deal[k]; });
    return changed.map(function (k) { return issueOf(k).label + ": " + optionLabel(k, run.deal[k]); }).join("; ");
  }

  var RENDER = {
    rehearsal: function (section, result) {
      section.querySelector(".summary").textContent =
        result.result + " after " + result.rounds + " round(s), " + result.offers.length +
        " offers (" + result.protocol + " protocol, seed " + result.seed + ").";
      var traces = result.parties.map(function (p) {
        return {
          x: result.offers.map(function (o) { return o.round + 1; }),
          y: result.offers.map(function (o) { return o.utilities[p]; }),
          mode: "lines+markers", marker: { size: 4 }, name: p
        };
      });
      plot("rehearsal-plot", traces, { xaxis: { title: { text: "round" } }, yaxis: { title: { text: "utility of the offer" }, range: [0, 1.02] } });
      var agreement = section.querySelector("table.agreement");
      agreement.hidden = !result.agreement;
      dealTable(agreement, result.agreement);
      var payoffs = section.querySelector("table.payoffs tbody");
      payoffs.textContent = "";
      result.parties.forEach(function (p) {
        var row = el("tr");
        row.appendChild(el("td", p));
        row.appendChild(el("td", result.strategies[p]));
        row.appendChild(el("td", result.utilities[p].toFixed(3)));
        payoffs.appendChild(row);
      });
    },
    durability: function (section, result) {
      var runs = [result].concat(result.versus ? [result.versus] : []);
      var colors = ["#2f6db5", "#d98c00"];
      var names = ["the deal", result.versus ? "with " + describeDeal(result.versus, result) : ""];
      var traces = [];
      runs.forEach(function (run, k) { traces = traces.concat(survivalTraces(run, names[k], colors[k])); });
      plot("durability-plot", traces, { xaxis: { title: { text: "day" } }, yaxis: { title: { text: "share still holding" }, range: [0, 1], tickformat: ".0%" } });
      var last = result.days;
      section.querySelector(".summary").textContent =
        "Still holding at day " + last + ": " + pct(result.survival[last - 1]) +
        (result.versus ? " (" + names[1] + ": " + pct(result.versus.survival[last - 1]) + ")" : "") +
        ". " + result.reference;
      var side = section.querySelector(".side-by-side");
      side.textContent = "";
      side.appendChild(table("Side by side (same random numbers)", ["", "holding at day " + last, "band", "median days to collapse", "mechanisms in force"],
        runs.map(function (run, k) {
          return [k === 0 ? "the deal" : names[1], pct(run.survival[last - 1]),
            pct(run.lower[last - 1]) + " to " + pct(run.upper[last - 1]),
            run.median_days_to_collapse === null ? "none collapse" : String(run.median_days_to_collapse),
            run.mechanisms.join(", ") || "none"];
        })));
      var grid = el("div");
      grid.className = "grid";
      runs.forEach(function (run, k) {
        var causes = Object.keys(run.causes).map(function (c) { return [c, pct(run.causes[c])]; });
        grid.appendChild(table("Causes of collapse: " + (k === 0 ? "the deal" : names[1]), ["cause", "share of collapses"], causes));
      });
      side.appendChild(grid);
      var comparison = section.querySelector(".comparison");
      comparison.textContent = "";
      if (result.comparison) {
        comparison.appendChild(table("What each mechanism adds (same random numbers)", ["mechanisms", "holding", "change", "effect size"],
          result.comparison.map(function (row) {
            return [row.label, pct(row.holding), (100 * row.change).toFixed(1) + " pts", row.effect_size];
          })));
        comparison.appendChild(table("Swapping one option", ["issue", "option instead", "holding", "change", "all accept"],
          result.swaps.map(function (w) {
            return [issueOf(w.issue).label, optionLabel(w.issue, w.option), pct(w.holding), (100 * w.change).toFixed(1) + " pts", w.accepted ? "yes" : "no"];
          })));
      }
    },
    forecast: function (section, result) {
      section.querySelector(".summary").textContent =
        result.model + ": " + result.stop_reason + (result.in_zopa ? "; every party accepts the forecast deal." : "; not every party accepts the forecast deal.");
      var select = section.querySelector("select.dimension");
      select.textContent = "";
      result.dimensions.forEach(function (d) {
        var found = issueOf(d);
        var option = el("option", found ? found.label : d);
        option.value = d;
        select.appendChild(option);
      });
      function draw() {
        var d = select.value;
        var traces = result.actors.map(function (a) {
          var ys = result.history[a][d];
          return { x: ys.map(function (_, k) { return k; }), y: ys, mode: "lines+markers", name: a };
        });
        plot("forecast-plot", traces, { xaxis: { title: { text: "iteration" }, dtick: 1 }, yaxis: { title: { text: "position (0-100)" }, range: [-3, 103] } });
      }
      select.onchange = draw;
      draw();
      dealTable(section.querySelector("table.deal"), result.deal);
    },
    briefing: function (section, result, job) {
      section.querySelector(".summary").textContent = result.chosen ? "The briefing of the chosen deal." : "The briefing of the recommended deal.";
      var list = section.querySelector(".downloads");
      list.textContent = "";
      job.files.forEach(function (name) {
        var item = el("li");
        var link = el("a", "Download " + name);
        link.href = "/api/workbench/jobs/" + job.id + "/files/" + encodeURIComponent(name);
        link.setAttribute("download", name);
        item.appendChild(link);
        list.appendChild(item);
      });
    }
  };

  function runForm(form) {
    var kind = form.dataset.kind;
    var box = document.querySelector('[data-job="' + kind + '"]');
    var bar = box.querySelector("progress");
    var message = box.querySelector(".job-message");
    var cancel = box.querySelector(".cancel");
    var error = document.querySelector('[data-error="' + kind + '"]');
    var section = document.querySelector('[data-result="' + kind + '"]');
    var submit = form.querySelector('button[type="submit"]');
    var current = null;

    cancel.addEventListener("click", function () {
      if (!current) return;
      cancel.disabled = true;
      request("POST", "/api/workbench/jobs/" + current + "/cancel");
    });

    function follow(id) {
      request("GET", "/api/workbench/jobs/" + id).then(function (answer) {
        if (!answer.ok) { finish(errorText(answer.body, answer.status)); return; }
        var job = answer.body;
        bar.value = job.progress;
        message.textContent = job.message;
        if (job.state === "done") {
          finish(null);
          section.hidden = false;
          RENDER[kind](section, job.result, job);
        } else if (job.state === "failed") {
          finish(job.error);
        } else if (job.state === "cancelled") {
          finish(null);
          message.textContent = "Cancelled.";
          box.hidden = false;
          cancel.hidden = true;
        } else {
          window.setTimeout(function () { follow(id); }, POLL_MS);
        }
      });
    }

    function finish(problem) {
      current = null;
      submit.disabled = false;
      cancel.disabled = true;
      if (problem) { error.textContent = problem; error.hidden = false; }
    }

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      submit.disabled = true;
      request("POST", form.dataset.api, BODIES[kind](form)).then(function (answer) {
        if (!answer.ok) { finish(errorText(answer.body, answer.status)); return; }
        current = answer.body.id;
        box.hidden = false;
        cancel.hidden = false;
        cancel.disabled = false;
        bar.value = 0;
        message.textContent = answer.body.message;
        cancel.focus();
        follow(current);
      }).catch(function () { finish("the server did not answer"); });
    });
  }

  function forceForm(form) {
    var error = document.querySelector('[data-error="force"]');
    var done = document.querySelector('[data-result="force"]');
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      error.hidden = true;
      var signed = form.querySelector('[name="signed_on"]').value;
      var body = {
        deal: dealOf(form, "force"),
        name: form.querySelector('[name="name"]').value,
        signed_on: signed || null,
        version: data.version
      };
      request("POST", form.dataset.api, body).then(function (answer) {
        if (!answer.ok) { error.textContent = errorText(answer.body, answer.status); error.hidden = false; return; }
        var agreement = answer.body.agreement;
        done.textContent = "";
        done.appendChild(el("span", "Agreement " + agreement.id + ", " + JSON.stringify(agreement.name) + ", is in force with " + agreement.clauses.length + " clauses. "));
        var monitor = el("a", "See it in the Monitor");
        monitor.href = "/incidents?agreement_id=" + agreement.id;
        done.appendChild(monitor);
        done.appendChild(el("span", " · "));
        var view = el("a", "its durability with the record's rates");
        view.href = "/workbench/agreements/" + agreement.id + "/durability";
        done.appendChild(view);
        done.hidden = false;
      });
    });
  }

  function agreementPage() {
    var node = document.getElementById("agreement-data");
    if (!node) return;
    var view = JSON.parse(node.textContent);
    var traces = (view.observed ? survivalTraces(view.observed, "with the observed rates", "#8b0000") : [])
      .concat(survivalTraces(view.expected, "with the calibrated rates", "#2f6db5"));
    plot("agreement-plot", traces, { xaxis: { title: { text: "day" } }, yaxis: { title: { text: "share still holding" }, range: [0, 1], tickformat: ".0%" } });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.run").forEach(runForm);
    document.querySelectorAll("form.force").forEach(forceForm);
    agreementPage();
  });
}());
