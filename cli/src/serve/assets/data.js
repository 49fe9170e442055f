// The data panel: a built-in dataset or the learner's own counts, edited in a table, by dragging
// p's bars, or by dropping a counts CSV (read by the server with the command line's reader).

import { attachEditor, drawEditor } from "./plane.js";

const $ = (id) => document.getElementById(id);

/** p for the table: four decimals, or three digits in scientific notation below 0.001. */
function probability(v) {
  return v === 0 || v >= 1e-3 ? String(Number(v.toFixed(4))) : v.toExponential(2);
}

/** A count as sent: a whole number written in digits (anything else is the server's to refuse). */
function countNumber(text) {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : NaN;
}

/** `counts=a:3,b:5` → [[label, count]]; `%`, `,` and `:` inside a label are %-escaped. */
function parseCountsParam(text) {
  return text.split(",").map((entry) => {
    const at = entry.lastIndexOf(":");
    if (at < 0) return [safeDecode(entry), ""];
    return [safeDecode(entry.slice(0, at)), entry.slice(at + 1)];
  });
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function escapeLabel(label) {
  return label.replace(/%/g, "%25").replace(/,/g, "%2C").replace(/:/g, "%3A");
}

export class DataPanel {
  /** @param datasets GET /api/datasets's list; @param onChange called after every change */
  constructor(datasets, onChange) {
    this.datasets = datasets;
    this.onChange = onChange;
    this.source = "dataset"; // or "counts"
    this.name = datasets[0]?.name ?? "";
    this.labels = [];
    this.counts = [];
    this.hold = null; // the editor's scale while a bar is dragged
    const select = $("dataset");
    for (const d of datasets) {
      const option = document.createElement("option");
      option.value = d.name;
      option.textContent = `${d.name} (K = ${d.k}, N = ${d.n})`;
      select.appendChild(option);
    }
    const own = document.createElement("option");
    own.value = "";
    own.textContent = "your own counts";
    select.appendChild(own);
    select.addEventListener("change", (event) => {
      event.stopPropagation();
      if (select.value) this.useDataset(select.value);
      else this.useCounts(this.labels, this.counts);
    });
    $("add-category").addEventListener("click", () => {
      const used = new Set(this.labels);
      let n = this.labels.length + 1;
      while (used.has(`c${n}`)) n++;
      this.useCounts([...this.labels, `c${n}`], [...this.counts, "1"]);
      const inputs = $("counts-table").querySelectorAll("tbody tr:last-child input");
      if (inputs[0]) inputs[0].focus();
    });
    $("csv-file").addEventListener("change", (event) => {
      const file = event.target.files[0];
      if (file) this.loadCsv(file);
      event.target.value = "";
    });
    this.wireDrop();
    attachEditor(
      $("editor"),
      () => this.view(),
      (i, count, top) => {
        this.hold = top;
        const counts = [...this.counts];
        counts[i] = String(count);
        this.useCounts(this.labels, counts, { rebuild: false });
      },
      () => {
        this.hold = null;
        this.onChange();
      },
    );
  }

  /** The data a link names: `dataset=NAME` or `counts=a:3,b:5`; a problem {field, error} or null. */
  load(dataset, counts) {
    if (counts !== null) {
      const pairs = parseCountsParam(counts);
      this.useCounts(pairs.map((p) => p[0]), pairs.map((p) => p[1]), { quiet: true });
      return dataset !== null ? { field: "counts", error: "this link gives both dataset and counts; the counts were used" } : null;
    }
    const name = dataset ?? this.name;
    if (!this.datasets.some((d) => d.name === name)) {
      this.useDataset(this.name, { quiet: true });
      const names = this.datasets.map((d) => d.name).join(", ");
      return { field: "dataset", error: `unknown dataset '${name}'; the built-in datasets are ${names}` };
    }
    this.useDataset(name, { quiet: true });
    return null;
  }

  useDataset(name, { quiet = false } = {}) {
    const d = this.datasets.find((x) => x.name === name);
    this.source = "dataset";
    this.name = name;
    this.labels = [...d.labels];
    this.counts = [...d.counts];
    $("dataset").value = name;
    $("dataset-description").textContent = d.description;
    this.rebuild();
    if (!quiet) this.onChange();
  }

  /** The learner's own counts (label strings, count strings as typed). */
  useCounts(labels, counts, { rebuild = true, quiet = false } = {}) {
    this.source = "counts";
    this.labels = labels;
    this.counts = counts;
    $("dataset").value = "";
    $("dataset-description").textContent = `your own counts: K = ${labels.length}`;
    if (rebuild) this.rebuild();
    else this.refreshRows();
    if (!quiet) this.onChange();
  }

  /** Reads a CSV through POST /api/counts, which answers its categories or the line at fault. */
  async loadCsv(file) {
    const error = $("error-counts");
    error.textContent = "";
    let response;
    try {
      response = await fetch(`/api/counts?name=${encodeURIComponent(file.name)}`, { method: "POST", body: file });
    } catch (e) {
      error.textContent = `could not send ${file.name}: ${e.message}`;
      return;
    }
    const answer = await response.json().catch(() => ({ error: `the server answered ${response.status}` }));
    if (!response.ok) {
      error.textContent = answer.error;
      return;
    }
    this.useCounts(answer.labels, answer.counts);
  }

  wireDrop() {
    const hint = $("drop-hint");
    let depth = 0;
    document.addEventListener("dragenter", (event) => {
      if (![...(event.dataTransfer?.types ?? [])].includes("Files")) return;
      depth++;
      hint.hidden = false;
    });
    document.addEventListener("dragleave", () => {
      depth = Math.max(0, depth - 1);
      if (!depth) hint.hidden = true;
    });
    document.addEventListener("dragover", (event) => event.preventDefault());
    document.addEventListener("drop", (event) => {
      event.preventDefault();
      depth = 0;
      hint.hidden = true;
      const file = event.dataTransfer?.files?.[0];
      if (file) this.loadCsv(file);
    });
  }

  /** The counts table, built anew (after a dataset, a CSV, or a category added or removed). */
  rebuild() {
    const tbody = $("counts-table").tBodies[0];
    while (tbody.firstChild) tbody.removeChild(tbody.firstChild);
    this.labels.forEach((label, i) => {
      const tr = document.createElement("tr");
      const cell = (node) => {
        const td = document.createElement("td");
        td.appendChild(node);
        tr.appendChild(td);
        return td;
      };
      const name = document.createElement("input");
      name.type = "text";
      name.value = label;
      name.dir = "auto";
      name.setAttribute("aria-label", `category ${i + 1}`);
      name.addEventListener("input", () => {
        const labels = [...this.labels];
        labels[i] = name.value;
        this.useCounts(labels, this.counts, { rebuild: false });
      });
      const count = document.createElement("input");
      count.type = "text";
      count.inputMode = "numeric";
      count.value = this.counts[i];
      count.className = "count";
      count.setAttribute("aria-label", `count of category ${i + 1}`);
      count.addEventListener("input", () => {
        const counts = [...this.counts];
        counts[i] = count.value;
        this.useCounts(this.labels, counts, { rebuild: false });
      });
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "×";
      remove.setAttribute("aria-label", `remove category ${i + 1}`);
      remove.addEventListener("click", () => {
        this.useCounts(this.labels.filter((_, j) => j !== i), this.counts.filter((_, j) => j !== i));
      });
      cell(name);
      cell(count);
      const p = document.createElement("span");
      cell(p).className = "prob";
      cell(remove);
      tbody.appendChild(tr);
    });
    this.refreshRows();
  }

  /** The p column, the count boxes (after a drag) and the never-observed marks. */
  refreshRows() {
    const { p } = this.view();
    const rows = $("counts-table").tBodies[0].rows;
    for (let i = 0; i < rows.length; i++) {
      const count = rows[i].querySelector("input.count");
      if (count && count.value !== this.counts[i] && document.activeElement !== count) count.value = this.counts[i];
      rows[i].cells[2].textContent = Number.isFinite(p[i]) ? probability(p[i]) : "?";
      rows[i].classList.toggle("unseen", p[i] === 0);
    }
  }

  /** Labels, count texts, their numbers, and p (NaN where a count is not a whole number). */
  view() {
    const numbers = this.counts.map(countNumber);
    const total = numbers.reduce((s, c) => (Number.isFinite(c) ? s + c : s), 0);
    const p = numbers.map((c) => (Number.isFinite(c) && total > 0 ? c / total : NaN));
    return { labels: this.labels, counts: this.counts, numbers, p };
  }

  draw() {
    drawEditor($("editor"), { ...this.view(), p: this.view().p.map((v) => (Number.isFinite(v) ? v : 0)) }, this.hold);
  }

  /** The request's data: {dataset} for an untouched built-in dataset, else {counts: [[label, count]]}. */
  requestPart() {
    if (this.source === "dataset") return { dataset: this.name };
    return { counts: this.labels.map((l, i) => [l, this.counts[i].trim()]) };
  }

  /** The URL's data: `dataset=NAME` or `counts=a:3,b:5`. */
  urlPart() {
    if (this.source === "dataset") return { dataset: this.name };
    return { counts: this.labels.map((l, i) => `${escapeLabel(l)}:${this.counts[i].trim()}`).join(",") };
  }

  /** The counts as sent (before smoothing), to tell never-observed categories apart. */
  rawCounts() {
    return this.counts.map((c) => c.trim());
  }

  /** A problem the page can see before asking the server, or null. */
  check() {
    if (!this.labels.length) return { field: "counts", error: "there are no categories; add one, pick a dataset or drop a counts CSV" };
    return null;
  }
}
