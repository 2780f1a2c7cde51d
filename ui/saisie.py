"""A text field that never loses what was typed (a Streamlit Components v2 element).

Streamlit's own ``st.text_input`` / ``st.text_area`` send their value on Enter or when the field
loses focus: text typed and then lost by a reload, a closed tab or a server restart before that
is gone (checked in Chromium with Streamlit 1.67). This field instead:

- sends the value to Python after a short pause in typing (debounced, 400 ms), on blur, on Enter
  (one-line fields) and when the page is hidden or unloaded;
- keeps every keystroke in the browser's ``localStorage`` under a key naming the draft and the
  question, until Python has acknowledged that exact value (it comes back in ``data.value``);
- on mount, if ``localStorage`` holds text the server never acknowledged (the connection was
  down, the server was killed), puts it back in the field and sends it again.

Python reads the value with ``saisie_texte(...)``; the survey page saves it to the draft.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

_CSS = """
.maillage-saisie { display: flex; flex-direction: column; gap: 0.25rem; font-family: var(--st-font, inherit); }
.maillage-saisie label { font-size: 0.875rem; color: var(--st-text-color, inherit); }
.maillage-saisie .aide { font-size: 0.8rem; opacity: 0.7; }
.maillage-saisie input, .maillage-saisie textarea {
  box-sizing: border-box; width: 100%; padding: 0.5rem 0.75rem; font: inherit; font-size: 1rem;
  color: var(--st-text-color, inherit); background: var(--st-secondary-background-color, #f0f2f6);
  border: 1px solid var(--st-border-color, transparent); border-radius: var(--st-base-radius, 0.5rem);
}
.maillage-saisie textarea { min-height: 6rem; resize: vertical; }
.maillage-saisie input:focus, .maillage-saisie textarea:focus {
  outline: none; border-color: var(--st-primary-color, #000091);
}
"""

_JS = """
export default function (component) {
  const { data, setStateValue, parentElement } = component;
  const storageKey = data.storage_key || null;
  let root = parentElement.querySelector(".maillage-saisie");
  const send = (field) => {
    if (root._timer) { clearTimeout(root._timer); root._timer = null; }
    root._sent = field.value;
    setStateValue("value", field.value);
  };
  const remember = (field) => {
    if (!storageKey) return;
    try { localStorage.setItem(storageKey, JSON.stringify({ value: field.value, ts: Date.now() })); } catch (e) {}
  };
  if (!root) {
    root = document.createElement("div");
    root.className = "maillage-saisie";
    const label = document.createElement("label");
    const field = document.createElement(data.multiline ? "textarea" : "input");
    field.className = "champ";
    if (!data.multiline) { field.type = "text"; }
    field.id = "saisie-" + (data.id || Math.random().toString(36).slice(2));
    field.setAttribute("data-testid", "maillage-saisie");
    field.setAttribute("aria-label", data.label || "");
    if (data.inputmode) field.setAttribute("inputmode", data.inputmode);
    label.htmlFor = field.id;
    const help = document.createElement("div");
    help.className = "aide";
    root.append(label, field, help);
    parentElement.appendChild(root);
    field.value = data.value ?? "";
    root._sent = field.value;
    // Text typed but never acknowledged (connection lost, server killed, tab closed): bring it back.
    if (storageKey) {
      try {
        const pending = JSON.parse(localStorage.getItem(storageKey) || "null");
        if (pending && pending.value !== (data.value ?? "")) {
          field.value = pending.value;
          send(field);
        } else if (pending) {
          localStorage.removeItem(storageKey);
        }
      } catch (e) {}
    }
    field.addEventListener("input", () => {
      remember(field);
      if (root._timer) clearTimeout(root._timer);
      root._timer = setTimeout(() => send(field), data.debounce_ms || 400);
    });
    field.addEventListener("blur", () => { if (field.value !== root._sent) send(field); });
    field.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !data.multiline) send(field);
    });
    const flush = () => { if (field.value !== root._sent) send(field); };
    window.addEventListener("pagehide", flush);
    document.addEventListener("visibilitychange", () => { if (document.visibilityState === "hidden") flush(); });
  }
  const label = root.querySelector("label");
  const field = root.querySelector(".champ");
  const help = root.querySelector(".aide");
  label.textContent = data.label || "";
  help.textContent = data.help || "";
  help.style.display = data.help ? "" : "none";
  field.placeholder = data.placeholder || "";
  const value = data.value ?? "";
  // Python acknowledged the text: the browser's copy is no longer needed.
  if (storageKey) {
    try {
      const pending = JSON.parse(localStorage.getItem(storageKey) || "null");
      if (pending && pending.value === value) localStorage.removeItem(storageKey);
    } catch (e) {}
  }
  // A value set from Python (another tab, a restored draft) replaces the field's text, but never
  // while the surveyor is typing in it.
  const active = (parentElement.activeElement || document.activeElement) === field;
  if (!active && !root._timer && field.value !== value && root._sent === field.value) {
    field.value = value;
    root._sent = value;
  }
}
"""

_component = st.components.v2.component("maillage_saisie", css=_CSS, js=_JS)


def saisie_texte(
    label: str,
    *,
    key: str,
    value: str,
    storage_key: str,
    multiline: bool = False,
    help: str | None = None,
    placeholder: str | None = None,
    inputmode: str | None = None,
) -> str:
    """A text field whose every keystroke reaches Python; returns its current text.

    :param value: the saved text, shown when the field mounts and acknowledged back to the browser.
    :param storage_key: the browser-side key of unsent keystrokes, e.g. ``"maillage:<draft>:<code>"``.
    """
    state: Any = st.session_state.get(key)
    current = state.get("value", value) if isinstance(state, dict) or hasattr(state, "get") else value
    result = _component(
        key=key,
        data={
            "label": label,
            "value": current,
            "storage_key": storage_key,
            "multiline": multiline,
            "help": help,
            "placeholder": placeholder,
            "inputmode": inputmode,
            "id": key,
        },
        default={"value": value},
        on_value_change=lambda: None,
    )
    text = getattr(result, "value", None)
    return current if text is None else str(text)
