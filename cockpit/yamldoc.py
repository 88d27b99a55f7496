"""Safe YAML loading that can say where a value came from (file, line, column, field path).

Only ``yaml.SafeLoader`` is used: tags that try to construct Python objects are refused.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

MAX_YAML_BYTES = 5 * 1024 * 1024
# libyaml's parser when PyYAML was built with it (several times faster), else the pure-Python one.
# Both construct with SafeConstructor: no Python objects from tags.
_SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ImpossibleValue(yaml.constructor.ConstructorError):
    """A scalar YAML resolves to a type it cannot be (``2026-02-30`` is a date that does not exist)."""

    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(None, None, message, node.start_mark)
        self.node = node


class _Loader(_SAFE_LOADER):  # type: ignore[misc]
    """The safe loader, except that a value the constructors cannot build (an impossible date, a time past the
    year 9999) is reported at its node instead of escaping as a bare ``ValueError``."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, OverflowError) as exc:
            if isinstance(exc, yaml.YAMLError):
                raise
            kind = {"tag:yaml.org,2002:timestamp": "date"}.get(node.tag, node.tag.rsplit(":", 1)[-1])
            raise _ImpossibleValue(node, f"'{node.value}' is not a real {kind} ({exc})") from None


#: No file the cockpit reads needs a number beyond a 64-bit integer; a bigger one would crash the checks that turn it
#: into a float or a time span ("int too large to convert to float").
MAX_INT = 2**63 - 1


def _bounded_int(loader: Any, node: yaml.ScalarNode) -> int:
    value = int(loader.construct_yaml_int(node))
    if abs(value) > MAX_INT:
        text = node.value
        shown = text if len(text) <= 24 else f"{text[:12]}…{text[-4:]} ({len(text)} digits)"
        raise _ImpossibleValue(node, f"'{shown}' is too large a number; the cockpit reads up to {MAX_INT:,}")
    return value


_Loader.add_constructor("tag:yaml.org,2002:int", _bounded_int)


def _path_to(root: yaml.Node, target: yaml.Node) -> tuple[Any, ...]:
    """The field path of ``target`` inside the node tree (for an error found while constructing)."""
    stack: list[tuple[yaml.Node, tuple[Any, ...]]] = [(root, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
                if key_node is target:
                    return (*path, key)
                stack.append((value_node, (*path, key)))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend((item, (*path, index)) for index, item in enumerate(node.value))
    return ()


@dataclass(frozen=True)
class Problem:
    """One problem in a data file, printed as ``file:line:column: field.path: message``."""

    file: str
    line: int
    column: int
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}"
        return f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"


class YamlDocument:
    """A parsed YAML file plus the position of every node, addressed by field path."""

    def __init__(self, file: str, data: Any, positions: dict[tuple[Any, ...], tuple[int, int]]) -> None:
        self.file = file
        self.data = data
        self._positions = positions

    def where(self, path: tuple[Any, ...]) -> tuple[int, int]:
        """Line and column (1-based) of the deepest known node on ``path``."""
        while path not in self._positions and path:
            path = path[:-1]
        return self._positions.get(path, (1, 1))

    def problem(self, path: tuple[Any, ...], message: str, at_key: bool = False) -> Problem:
        """A problem at the value on ``path`` (or at its key, for an unknown or misspelled key)."""
        key_path = (*path, "__key__")
        if at_key and key_path in self._positions:
            line, column = self._positions[key_path]
        else:
            line, column = self.where(path)
        return Problem(self.file, line, column, format_path(path), message)


def format_path(path: tuple[Any, ...]) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text


MAX_DEPTH = 64
MAX_ALIASES = 1000


def _position(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)


def _structure_problem(text: str, file: str) -> Problem | None:
    """Refuse documents nested absurdly deep or full of aliases before building anything from them
    (a few hundred bytes of nested aliases, a "billion laughs", would otherwise take minutes)."""
    depth = aliases = 0
    try:
        for event in yaml.parse(text, Loader=_SAFE_LOADER):
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                depth += 1
                if depth > MAX_DEPTH:
                    line, column = _position(event)
                    return Problem(file, line, column, "",
                                   f"nested more than {MAX_DEPTH} levels deep; this is not a config or runbook")
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                if aliases > MAX_ALIASES:
                    line, column = _position(event)
                    return Problem(file, line, column, "",
                                   f"more than {MAX_ALIASES} aliases (*name); refused")
    except yaml.YAMLError:
        return None  # the real parse reports syntax errors with their position
    return None


#: Values aliases may add to a document once expanded. Each alias is cheap to parse (it shares its anchor's node), but
#: a check that prints or walks the value pays for every copy: 72 nested aliases are 387 million values.
MAX_EXPANDED = 100_000


def _expansion_problem(root: yaml.Node, file: str) -> Problem | None:
    """Refuse a document whose aliases expand it past ``MAX_EXPANDED`` values more than it holds, at the innermost
    node where that happens (where the nesting of aliases is written)."""
    sizes: dict[int, int] = {}
    culprit: list[yaml.Node] = []

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:  # an alias (or a node that contains itself): its expanded size, counted once more
            return sizes[key]
        sizes[key] = 1
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        elif isinstance(node, yaml.SequenceNode):
            children = list(node.value)
        total = 1
        for child in children:
            total = min(total + size(child), 2 * MAX_EXPANDED + len(sizes))  # capped: the figure only has to exceed
        sizes[key] = total
        if not culprit and total - len(sizes) > MAX_EXPANDED:
            culprit.append(node)
        return total

    size(root)
    if not culprit:
        return None
    mark = culprit[0].start_mark
    return Problem(file, mark.line + 1, mark.column + 1, "",
                   f"aliases (*name) expand the document past {MAX_EXPANDED:,} values; refused")


def _walk(node: yaml.Node, path: tuple[Any, ...], positions: dict[tuple[Any, ...], tuple[int, int]],
          duplicates: list[tuple[tuple[Any, ...], int, int, int]], seen: set[int] | None = None) -> None:
    seen = set() if seen is None else seen
    positions[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if id(node) in seen:  # an alias to a node already walked: its positions are known, do not repeat
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first_line: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            if key in first_line:
                duplicates.append(((*path, key), key_node.start_mark.line + 1, key_node.start_mark.column + 1,
                                   first_line[key]))
            first_line[key] = key_node.start_mark.line + 1
            _walk(value_node, (*path, key), positions, duplicates, seen)
            # a missing child is reported at its parent; a bad key at the key itself
            positions.setdefault((*path, key, "__key__"), (key_node.start_mark.line + 1,
                                                           key_node.start_mark.column + 1))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _walk(item, (*path, index), positions, duplicates, seen)


def parse_yaml(text: str, file: str) -> tuple[YamlDocument | None, list[Problem]]:
    """Parse YAML text safely. On a syntax error, return the problem with its line and column."""
    if "\x00" in text:
        return None, [Problem(file, 1, 1, "", "this is a binary file, not YAML")]
    structure = _structure_problem(text, file)
    if structure is not None:
        return None, [structure]
    loader = _Loader(text)
    node: yaml.Node | None = None
    try:
        # one parse: the node tree gives positions, the same tree is constructed into data
        node = loader.get_single_node()
        expansion = _expansion_problem(node, file) if node is not None else None
        if expansion is not None:
            return None, [expansion]
        data = loader.construct_document(node) if node is not None else None
    except _ImpossibleValue as exc:
        mark = exc.node.start_mark
        path = _path_to(node, exc.node) if node is not None else ()
        return None, [Problem(file, mark.line + 1, mark.column + 1, format_path(path), str(exc.problem))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = " ".join(str(part) for part in (exc.problem, exc.context) if part)
        if "\t" in text and ("tab" in message.lower() or _char_at(text, line, column) == "\t"):
            message = "a tab character is not allowed for indentation in YAML; use spaces"
        elif any(hint in message for hint in ("expected <block end>", "mapping values are not allowed",
                                              "did not find expected key", "did not find expected '-'")):
            message = f"the indentation does not line up with the lines above ({message})"
        elif "could not determine a constructor" in message:
            message = f"unsafe or unknown YAML tag refused ({message})"
        return None, [Problem(file, line, column, "", f"YAML syntax error: {message}")]
    except yaml.reader.ReaderError as exc:  # a character YAML refuses (a terminal escape, a C1 control)
        before = text[: exc.position]
        line, column = before.count("\n") + 1, exc.position - (before.rfind("\n") + 1) + 1
        shown = f"\\x{exc.character:02x}" if isinstance(exc.character, int) else repr(exc.character)
        return None, [Problem(file, line, column, "", f"a control character ({shown}) is not allowed in YAML; "
                                                      "remove it")]
    except yaml.YAMLError as exc:
        return None, [Problem(file, 1, 1, "", f"YAML error: {exc}")]
    except RecursionError:
        return None, [Problem(file, 1, 1, "", "the document refers to itself too deeply; refused")]
    finally:
        loader.dispose()
    positions: dict[tuple[Any, ...], tuple[int, int]] = {}
    duplicates: list[tuple[tuple[Any, ...], int, int, int]] = []
    if node is not None:
        _walk(node, (), positions, duplicates)
    problems = [Problem(file, line, column, format_path(path), f"duplicate key (first given on line {first})")
                for path, line, column, first in duplicates]
    return YamlDocument(file, data, positions), problems


def _char_at(text: str, line: int, column: int) -> str:
    """The character at a 1-based line and column of ``text`` ("" past its end)."""
    lines = text.splitlines()
    return lines[line - 1][column - 1: column] if 0 < line <= len(lines) else ""


def _kind_of(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


def _read_capped(path: Path, name: str) -> tuple[bytes | None, list[Problem]]:
    """The bytes of a regular file of at most ``MAX_YAML_BYTES``. Opened without blocking, so a named pipe with no
    writer cannot hang the cockpit, and read with a cap, so a device such as /dev/zero cannot fill memory."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        return None, [Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return None, [Problem(name, 1, 1, "", f"not a regular file ({_kind_of(info.st_mode)}); refused")]
        if info.st_size > MAX_YAML_BYTES:
            return None, [Problem(name, 1, 1, "", f"the file is {info.st_size:,} bytes; the limit is "
                                                  f"{MAX_YAML_BYTES:,}")]
        chunks: list[bytes] = []
        total = 0
        while total <= MAX_YAML_BYTES:  # the file may grow while it is read
            chunk = os.read(fd, min(1 << 20, MAX_YAML_BYTES + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > MAX_YAML_BYTES:
            return None, [Problem(name, 1, 1, "", f"the file is over {MAX_YAML_BYTES:,} bytes, the limit")]
        return b"".join(chunks), []
    except OSError as exc:
        return None, [Problem(name, 1, 1, "", f"cannot read the file: {exc.strerror or exc}")]
    finally:
        os.close(fd)


def read_yaml(path: Path, display: str | None = None) -> tuple[YamlDocument | None, list[Problem]]:
    """Read and parse a YAML file; an unreadable, huge, binary or non-UTF-8 file, or one that is not a regular
    file at all (a folder, a pipe, a device), is one problem."""
    name = display or str(path)
    raw, problems = _read_capped(path, name)
    if raw is None:
        return None, problems
    if b"\x00" in raw:
        return None, [Problem(name, 1, 1, "", "this is a binary file, not YAML")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        return None, [Problem(name, line, 1, "", "the file is not UTF-8 text")]
    return parse_yaml(text, name)
