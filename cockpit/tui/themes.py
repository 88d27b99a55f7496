"""Themes as data files: one YAML file per theme, from ``themes/`` and the user's config folder.

A bad file is reported (file, line, field) and skipped; the cockpit always has its built-in default.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from textual.color import Color, ColorParseError
from textual.theme import Theme

from cockpit.yamldoc import Problem, read_yaml

COLOUR_FIELDS = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel",
                 "success", "warning", "error", "boost")
REQUIRED = ("name", "primary")
DEFAULT_THEME = "cockpit-dark"

#: Every variable the cockpit's CSS uses, with a value that works on any built-in Textual theme too.
VARIABLE_DEFAULTS: dict[str, str] = {
    "sev1": "#D7263D", "sev1-text": "#FFFFFF",
    "sev2": "#F46036", "sev2-text": "#000000",
    "sev3": "#E9C46A", "sev3-text": "#000000",
    "sev4": "#5AA9FF", "sev4-text": "#000000",
    "overdue": "#FF5F59",
}

FALLBACK = Theme(
    name=DEFAULT_THEME, primary="#5AA9FF", secondary="#9D7CD8", accent="#FFB454", foreground="#E6E6E6",
    background="#0F1419", surface="#161C23", panel="#1F2731", success="#7FD962", warning="#FFB454",
    error="#FF5F59", dark=True, variables=dict(VARIABLE_DEFAULTS),
)


def _check_colour(value: Any) -> str | None:
    if not isinstance(value, str):
        return "must be a colour such as \"#FF5F59\""
    try:
        Color.parse(value)
    except ColorParseError:
        return f"'{value}' is not a colour (use #RRGGBB or a colour name)"
    return None


def load_theme(path: Path) -> tuple[Theme | None, list[Problem]]:
    doc, problems = read_yaml(path)
    if doc is None or problems:
        return None, problems
    data = doc.data
    if not isinstance(data, dict):
        return None, [doc.problem((), "a theme file must be a mapping of settings")]
    found: list[Problem] = []
    known = {"name", "dark", "variables", *COLOUR_FIELDS}
    for key in data:
        if key not in known:
            found.append(doc.problem((key,), f"unknown setting (known: {', '.join(sorted(known))})", at_key=True))
    for key in REQUIRED:
        if key not in data:
            found.append(doc.problem((), f"'{key}' is required"))
    name = data.get("name")
    if "name" in data and (not isinstance(name, str) or not name.strip()):
        found.append(doc.problem(("name",), "must be a non-empty name"))
    if "dark" in data and not isinstance(data["dark"], bool):
        found.append(doc.problem(("dark",), "must be true or false"))
    for key in COLOUR_FIELDS:
        if key in data and (message := _check_colour(data[key])):
            found.append(doc.problem((key,), message))
    variables = data.get("variables", {}) or {}
    if not isinstance(variables, dict):
        found.append(doc.problem(("variables",), "must be a mapping of variable name to colour"))
        variables = {}
    for key, value in variables.items():
        if (message := _check_colour(value)) is not None:
            found.append(doc.problem(("variables", key), message))
    if found:
        return None, found
    colours = {key: data[key] for key in COLOUR_FIELDS if key in data}
    theme = Theme(name=str(name).strip(), dark=bool(data.get("dark", True)),
                  variables={**VARIABLE_DEFAULTS, **{str(k): str(v) for k, v in variables.items()}}, **colours)
    return theme, []


def load_themes(folders: list[Path]) -> tuple[list[Theme], list[Problem]]:
    """Every valid theme from ``folders`` (later folders override earlier ones by name)."""
    themes: dict[str, Theme] = {FALLBACK.name: FALLBACK}
    problems: list[Problem] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            theme, found = load_theme(path)
            problems.extend(found)
            if theme is not None:
                themes[theme.name] = theme
    return list(themes.values()), problems


#: Under NO_COLOR every colour is shown as a grey of the same brightness. These greys keep the severities in
#: order, the most severe the most prominent: brightest on a dark background, darkest on a light one.
MONOCHROME_DARK = {"sev1": "#FFFFFF", "sev2": "#C8C8C8", "sev3": "#969696", "sev4": "#6E6E6E"}
MONOCHROME_LIGHT = {"sev1": "#000000", "sev2": "#3C3C3C", "sev3": "#6E6E6E", "sev4": "#969696"}


def monochrome_variant(theme: Theme) -> Theme:
    """``theme`` (same name) with severity colours that read in grey: used when NO_COLOR is set."""
    greys = MONOCHROME_DARK if theme.dark else MONOCHROME_LIGHT
    variables = dict(theme.variables)
    for name, grey in greys.items():
        variables[name] = grey
        dark_grey = int(grey[1:3], 16) < 0x80
        variables[f"{name}-text"] = "#FFFFFF" if dark_grey else "#000000"
    return replace(theme, variables=variables)
