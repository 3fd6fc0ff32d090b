// The admin's settings editor, generated from GET /api/config/schema: one row per setting, named in
// words with its unit as the desktop editor names it ("Max speed (m/s)"; the key in its tooltip), an
// input chosen by its type (switch, list of choices, number with its bounds, text, one-per-line
// list), its description, default and whether it applies live or after a restart. Each change is
// one PUT /api/config/{section}/{param}; the server validates it against the whole schema and a
// refusal is shown under that setting with the server's words (they name the field and the bound).
// Beside it: the latest changes (who, old -> new) and the backups, each restorable.
// The page shows all this to admins only; the API refuses the writes to anyone else anyway.

import { api } from "./api.js";

const $ = (id) => document.getElementById(id);

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === "dataset") Object.assign(node.dataset, v);
    else if (k in node) node[k] = v;
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

const show = (v) => (Array.isArray(v) ? (v.length ? v.join(", ") : "[]") : v === "" ? '""' : String(v));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

function bounds(f) {
  const parts = [];
  if (f.minimum !== null && f.maximum !== null) parts.push(`${f.minimum} – ${f.maximum}`);
  else if (f.minimum !== null) parts.push(`≥ ${f.minimum}`);
  else if (f.maximum !== null) parts.push(`≤ ${f.maximum}`);
  if (f.max_items) parts.push(`at most ${f.max_items}`);
  return parts.join(" · ");
}

export class SettingsEditor {
  /** @param {{onResult: (kind: string, text: string) => void, onOpen: (open: boolean) => void}} hooks */
  constructor({ onResult, onOpen }) {
    this.onResult = onResult;
    this.onOpen = onOpen;
    this.fields = [];
    this.current = {};
    this.section = "";
    this.rows = new Map(); // key -> {row, input, field, msg, save}
    this.armedRestore = null;
    this.isOpen = false;
    $("settings-close").addEventListener("click", () => this.close());
    $("settings-filter").addEventListener("input", () => this.applyFilter());
    $("settings-fields").addEventListener("submit", (e) => e.preventDefault());
  }

  async open() {
    this.isOpen = true;
    $("settings").hidden = false;
    this.onOpen(true);
    window.scrollTo(0, 0);
    await this.load();
  }

  close() {
    this.isOpen = false;
    $("settings").hidden = true;
    this.onOpen(false);
  }

  async load() {
    $("settings-note").textContent = "Loading settings…";
    try {
      const [schema, current] = await Promise.all([api("GET", "/api/config/schema"), api("GET", "/api/config/current")]);
      this.fields = schema.fields;
      this.current = current;
    } catch (err) {
      $("settings-note").textContent = `Settings cannot be read: ${err.message}`;
      return;
    }
    $("settings-note").textContent = "";
    const sections = [...new Set(this.fields.map((f) => f.section))];
    if (!sections.includes(this.section)) this.section = sections[0];
    this.sectionLabels = Object.fromEntries(this.fields.map((f) => [f.section, f.section_label || f.section]));
    this.renderSections(sections);
    this.renderFields();
    await this.refreshSide();
  }

  // ---- the fields --------------------------------------------------------------------------

  renderSections(sections) {
    const tabs = sections.map((name) =>
      el("button", {
        type: "button", className: "tab", role: "tab", textContent: this.sectionLabels?.[name] || name, title: name,
        dataset: { section: name }, ariaSelected: String(name === this.section),
        onclick: () => {
          this.section = name;
          $("settings-filter").value = "";
          for (const t of $("settings-sections").children) t.setAttribute("aria-selected", String(t.dataset.section === name));
          this.applyFilter();
        },
      }),
    );
    $("settings-sections").replaceChildren(...tabs);
  }

  renderFields() {
    this.rows.clear();
    const form = $("settings-fields");
    const rows = this.fields.map((f) => this.makeRow(f));
    form.replaceChildren(...rows);
    this.applyFilter();
  }

  valueOf(key) {
    const [section, name] = key.split(".");
    return (this.current[section] || {})[name];
  }

  makeRow(f) {
    const id = `cfg-${f.key.replace(/\W/g, "-")}`;
    const value = this.valueOf(f.key);
    let input;
    if (f.type === "bool") {
      input = el("input", { type: "checkbox", id, checked: !!value, className: "switch" });
    } else if (f.choices) {
      input = el("select", { id }, ...f.choices.map((c) => new Option(String(c), String(c))));
      input.value = String(value);
    } else if (f.type === "int" || f.type === "float") {
      input = el("input", { type: "number", id, value: String(value), step: f.type === "int" ? "1" : "any", inputMode: "decimal" });
      if (f.minimum !== null) input.min = String(f.minimum);
      if (f.maximum !== null) input.max = String(f.maximum);
    } else if (f.type.startsWith("list")) {
      input = el("textarea", { id, rows: Math.max(2, Math.min(5, (value || []).length + 1)), value: (value || []).join("\n"), placeholder: "one per line" });
    } else {
      input = el("input", { type: "text", id, value: value ?? "", spellcheck: false, autocapitalize: "none" });
    }
    const save = el("button", { type: "button", className: "btn small", textContent: "Save", disabled: true });
    const reset = el("button", { type: "button", className: "btn small ghost", textContent: "Undo", hidden: true, title: "Put back the value in force" });
    const msg = el("div", { className: "setting-msg", role: "alert" });
    const defaultText = `default ${show(f.default)}`;
    const meta = [defaultText, bounds(f)].filter(Boolean).join(" · ");
    const row = el(
      "div",
      { className: "setting", dataset: { key: f.key, section: f.section } },
      el("div", { className: "setting-head" },
        el("label", { htmlFor: id, className: "setting-name", textContent: f.label || f.name, title: f.key }),
        el("span", { className: "apply", dataset: { apply: f.apply }, textContent: f.apply === "live" ? "live" : "restart",
          title: f.apply === "live" ? "Takes effect at once" : "Takes effect when the program restarts" }),
        el("span", { className: "setting-changed", textContent: same(value, f.default) ? "" : "changed", title: "differs from the default" }),
      ),
      el("div", { className: "setting-desc", textContent: f.description }),
      el("div", { className: "setting-meta", textContent: meta }),
      el("div", { className: "setting-edit" }, input, save, reset),
      msg,
    );
    const entry = { row, input, field: f, msg, save, reset };
    this.rows.set(f.key, entry);
    const dirty = () => {
      const changed = !same(this.readInput(entry), this.valueOf(f.key));
      row.toggleAttribute("data-dirty", changed);
      save.disabled = !changed;
      reset.hidden = !changed;
    };
    input.addEventListener("input", dirty);
    input.addEventListener("change", dirty);
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && input.tagName !== "TEXTAREA" && !save.disabled) {
        e.preventDefault();
        this.save(entry);
      }
    });
    save.addEventListener("click", () => this.save(entry));
    reset.addEventListener("click", () => {
      this.writeInput(entry, this.valueOf(f.key));
      msg.textContent = "";
      delete msg.dataset.kind;
      dirty();
    });
    return row;
  }

  /** What the input holds, as the JSON the API expects (numbers stay strings: the server coerces and names bad ones). */
  readInput({ input, field }) {
    if (field.type === "bool") return input.checked;
    if (field.type.startsWith("list")) return input.value.split("\n").map((s) => s.trim()).filter(Boolean);
    if ((field.type === "int" || field.type === "float") && input.value !== "" && Number.isFinite(Number(input.value))) {
      return Number(input.value);
    }
    return input.value;
  }

  writeInput({ input, field }, value) {
    if (field.type === "bool") input.checked = !!value;
    else if (field.type.startsWith("list")) input.value = (value || []).join("\n");
    else input.value = value ?? "";
  }

  async save(entry) {
    const { field, msg, save, row } = entry;
    const value = this.readInput(entry);
    save.disabled = true;
    msg.dataset.kind = "pending";
    msg.textContent = "saving…";
    try {
      const r = await api("PUT", `/api/config/${field.section}/${field.name}`, { value });
      this.current[field.section] = { ...(this.current[field.section] || {}), [field.name]: r.value };
      this.writeInput(entry, r.value);
      row.removeAttribute("data-dirty");
      row.removeAttribute("data-invalid");
      entry.reset.hidden = true;
      msg.dataset.kind = "ok";
      msg.textContent = r.restart_required ? `saved: ${show(r.value)} — applies after a restart` : `saved: ${show(r.value)} — in force now`;
      row.querySelector(".setting-changed").textContent = same(r.value, field.default) ? "" : "changed";
      this.onResult("ok", `SETTING ${r.key} = ${show(r.value)}${r.restart_required ? " (after restart)" : ""}`);
      await this.refreshSide();
    } catch (err) {
      save.disabled = false;
      row.setAttribute("data-invalid", "");
      msg.dataset.kind = "bad";
      msg.textContent = err.status === 0 ? `not sent: ${err.message}` : err.message;
      this.onResult("bad", `SETTING ${field.key} refused: ${err.message}`);
      entry.input.focus();
    }
  }

  applyFilter() {
    const q = $("settings-filter").value.trim().toLowerCase();
    for (const { row, field } of this.rows.values()) {
      const hit = q ? `${field.key} ${field.label} ${field.description}`.toLowerCase().includes(q) : field.section === this.section;
      row.hidden = !hit;
    }
  }

  /** Settings changed elsewhere (GUI, another browser): show the new values, keep what is being edited. */
  async onConfigChanged() {
    if (!this.isOpen) return;
    try {
      this.current = await api("GET", "/api/config/current");
    } catch {
      return;
    }
    for (const entry of this.rows.values()) {
      if (!entry.row.hasAttribute("data-dirty")) this.writeInput(entry, this.valueOf(entry.field.key));
    }
    await this.refreshSide();
  }

  // ---- history, backups, restart note --------------------------------------------------------

  async refreshSide() {
    const [history, backups, diff] = await Promise.allSettled([
      api("GET", "/api/config/history?limit=30"),
      api("GET", "/api/config/backups"),
      api("GET", "/api/config/diff"),
    ]);
    if (history.status === "fulfilled") this.renderHistory(history.value.history);
    if (backups.status === "fulfilled") this.renderBackups(backups.value.backups);
    if (diff.status === "fulfilled") {
      const pending = diff.value.restart_pending || [];
      const chip = $("settings-restart");
      chip.hidden = !pending.length;
      chip.textContent = `restart to apply: ${pending.join(", ")}`;
    }
  }

  renderHistory(items) {
    const list = $("settings-history");
    if (!items.length) {
      list.replaceChildren(el("li", { className: "muted", textContent: "No changes yet." }));
      return;
    }
    list.replaceChildren(
      ...items.map((h) =>
        el("li", {},
          el("time", { textContent: new Date(h.time).toLocaleString([], { hour12: false }) }),
          el("span", { className: "h-key", textContent: h.key }),
          el("span", { className: "h-change", textContent: `${show(h.old)} → ${show(h.new)}` }),
          el("span", { className: "muted", textContent: h.source }),
        ),
      ),
    );
  }

  renderBackups(items) {
    const list = $("settings-backups");
    if (!items.length) {
      list.replaceChildren(el("li", { className: "muted", textContent: "No backups yet (one is made before each change)." }));
      return;
    }
    list.replaceChildren(
      ...items.slice(0, 10).map((b) => {
        const button = el("button", { type: "button", className: "btn small", textContent: "Restore", dataset: { backup: b.id } });
        button.addEventListener("click", () => this.restore(b, button));
        return el("li", {},
          el("time", { textContent: new Date(b.time).toLocaleString([], { hour12: false }) }),
          el("span", { className: "muted", textContent: `${Math.max(1, Math.round(b.size / 1024))} kB` }),
          button,
        );
      }),
    );
  }

  /** Two presses: the first asks, the second restores (no modal dialog, fine on a phone). */
  async restore(backup, button) {
    if (this.armedRestore !== button) {
      if (this.armedRestore) this.armedRestore.textContent = "Restore";
      this.armedRestore = button;
      button.textContent = "Press again to restore";
      button.dataset.armed = "";
      setTimeout(() => {
        if (this.armedRestore === button) {
          this.armedRestore = null;
          button.textContent = "Restore";
          delete button.dataset.armed;
        }
      }, 5000);
      return;
    }
    this.armedRestore = null;
    button.disabled = true;
    try {
      const r = await api("POST", `/api/config/restore/${encodeURIComponent(backup.id)}`);
      const what = r.changed.length ? r.changed.join(", ") : "nothing differed";
      this.onResult("ok", `RESTORE ${backup.id}: ${what}`);
      await this.load();
    } catch (err) {
      button.disabled = false;
      button.textContent = "Restore";
      this.onResult("bad", `RESTORE ${backup.id} refused: ${err.message}`);
    }
  }
}
