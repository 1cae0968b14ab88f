"""Finding content files and parsing YAML with a line and column for every node.

YAML is parsed with PyYAML's safe composer (libyaml's C version when installed) into
nodes, and the nodes are turned into plain Python values by this module: mappings become
:class:`YamlMap` and sequences :class:`YamlSeq`, which remember where each key and value
stood, so later stages can point at the exact line of a bad value (and how a float was
written: ``7.500`` and ``7.5`` are the same float).

Only plain YAML is accepted: any tag outside the core schema (``!!python/...``, custom
``!tags``) is a problem, never executed.  Work is bounded: files over
:data:`MAX_FILE_BYTES` are refused unread, and the parser's events are counted before any
node is built, so a file that would expand (aliases counted each time they are used) to
more than :data:`MAX_NODES` nodes, or nest deeper than :data:`MAX_DEPTH`, stops early.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from .errors import Problem, current_file, display_path

try:  # libyaml is much faster and keeps marks too
    from yaml import CSafeLoader as _SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _SafeLoader

MAX_FILE_BYTES = 5 * 1024 * 1024
"""Largest content file accepted; a fact file is a few kilobytes."""

MAX_NODES = 200_000
"""Most YAML nodes one file may expand to, aliases counted each time they are used."""

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings accepted; content files nest three or four deep."""

Loc = tuple[int, int]  # (line, column), both 1-based

_CORE_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_FLOAT = "tag:yaml.org,2002:float"


class _Rejected:
    """Stands for a value already reported as not allowed, so it is not reported again."""

    def __repr__(self) -> str:
        return "<rejected>"


REJECTED = _Rejected()


class YamlMap(dict):
    """A mapping that knows where it, each key and each value stood in its file, and how
    each value that YAML read as a float was written."""

    def __init__(self, loc: Loc):
        super().__init__()
        self.loc = loc
        self.key_locs: dict[object, Loc] = {}
        self.value_locs: dict[object, Loc] = {}
        self.float_texts: dict[object, str] = {}

    def loc_of(self, key: object) -> Loc:
        """Where the value of *key* stands, or the mapping itself when the key is absent."""
        return self.value_locs.get(key, self.loc)

    def key_loc(self, key: object) -> Loc:
        """Where *key* itself stands (for unknown-key messages)."""
        return self.key_locs.get(key, self.loc)

    def text_of(self, key: object) -> str | None:
        """How the value of *key* was written when YAML read it as a float ('7.500' for
        7.5, so that a thousands separator can be told from a decimal point), else None."""
        return self.float_texts.get(key)


class YamlSeq(list):
    """A sequence that knows where it and each item stood in its file."""

    def __init__(self, loc: Loc):
        super().__init__()
        self.loc = loc
        self.item_locs: list[Loc] = []

    def loc_of(self, index: int) -> Loc:
        return self.item_locs[index] if 0 <= index < len(self.item_locs) else self.loc


@dataclass
class SourceFile:
    """A parsed content file: where it is, how to name it in messages, and its data."""

    path: Path
    display: str
    data: object


def _loc(node: yaml.Node) -> Loc:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


class _TooBig(Exception):
    def __init__(self, message: str, loc: Loc = (1, 1)):
        super().__init__(message)
        self.loc = loc


def _measure(text: str) -> None:
    """Walk the parser's events and stop early, before any node is built, when the file
    would expand to more than MAX_NODES nodes or nest more than MAX_DEPTH deep.

    Composing first and counting after would let a file of a few megabytes of ``[0,0,...``
    or a "billion laughs" of aliases take many seconds and gigabytes; this walk keeps only
    a stack and one number per anchor.  An alias counts the size of what it repeats.
    """
    limit, depth_limit = MAX_NODES, MAX_DEPTH
    sizes: dict[str, int] = {}   # anchor -> nodes in the value it names, once expanded
    stack: list[list] = []       # open lists and mappings: [anchor, nodes so far]
    total = 0
    for event in yaml.parse(text, Loader=_SafeLoader):
        if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            stack.append([event.anchor, 1])
            if len(stack) > depth_limit + 1:
                raise _TooBig(f"lists and mappings nest more than {depth_limit} deep",
                              _loc(event))
            continue
        if isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            anchor, size = stack.pop()
            if anchor is not None:
                sizes[anchor] = size
            total += 1
        elif isinstance(event, yaml.ScalarEvent):
            size = 1
            if event.anchor is not None:
                sizes[event.anchor] = 1
            total += 1
        elif isinstance(event, yaml.AliasEvent):
            if any(open_anchor == event.anchor for open_anchor, _ in stack):
                raise _TooBig(f"alias '*{event.anchor}' refers to a list or mapping that "
                              "contains it", _loc(event))
            size = sizes.get(event.anchor, 1)  # an undefined alias is reported by compose
            total += size
        else:
            continue
        if stack:
            stack[-1][1] += size
        if total + len(stack) > limit:
            raise _TooBig(f"file expands to more than {limit:,} YAML nodes", _loc(event))


class _Converter:
    """Turns composed nodes into located Python values, collecting problems."""

    def __init__(self, display: str, problems: list[Problem]):
        self.display = display
        self.problems = problems
        self.count = 0
        self.scalars = yaml.constructor.SafeConstructor()

    def problem(self, loc: Loc, rule: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.display, loc[0], loc[1], rule, message, hint))

    def convert(self, node: yaml.Node, depth: int = 0) -> object:
        self.count += 1
        if self.count > MAX_NODES:
            raise _TooBig(f"file expands to more than {MAX_NODES:,} YAML nodes")
        if depth > MAX_DEPTH:
            raise _TooBig(f"lists and mappings nest more than {MAX_DEPTH} deep")
        if node.tag not in _CORE_TAGS:
            self.problem(_loc(node), "RG005", f"YAML tag {node.tag!r} is not allowed",
                         "content files hold plain values, lists and mappings only; remove the tag")
            return REJECTED
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, depth)
        if isinstance(node, yaml.SequenceNode):
            seq = YamlSeq(_loc(node))
            for item in node.value:
                seq.append(self.convert(item, depth + 1))
                seq.item_locs.append(_loc(item))
            return seq
        if node.tag == "tag:yaml.org,2002:timestamp":
            return node.value  # dates stay text: periods and dates are parsed by the model
        try:
            return self.scalars.construct_object(node)
        except (yaml.YAMLError, ValueError, TypeError) as exc:  # pragma: no cover - defensive
            self.problem(_loc(node), "RG002", f"cannot read value {node.value!r}: {exc}")
            return None

    def _mapping(self, node: yaml.MappingNode, depth: int) -> YamlMap:
        mapping = YamlMap(_loc(node))
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                self.problem(_loc(key_node), "RG005", "merge keys ('<<') are not allowed",
                             "write the fields out in full")
                continue
            key = self.convert(key_node, depth + 1)
            if key is REJECTED:
                continue
            if isinstance(key, (YamlMap, YamlSeq)) or key is None:
                self.problem(_loc(key_node), "RG103", "a mapping key must be plain text")
                continue
            if key in mapping:
                first = mapping.key_locs[key]
                self.problem(_loc(key_node), "RG003", f"key '{key}' appears twice in this mapping",
                             f"first at line {first[0]}; YAML would silently keep only the last one")
                continue
            mapping[key] = self.convert(value_node, depth + 1)
            mapping.key_locs[key] = _loc(key_node)
            mapping.value_locs[key] = _loc(value_node)
            if value_node.tag == _FLOAT:
                mapping.float_texts[key] = value_node.value
        return mapping


def parse_yaml(path: Path, display: str | None = None) -> tuple[SourceFile | None, list[Problem]]:
    """Read and parse one YAML file; never raises for bad input, returns problems instead."""
    display = display or display_path(path)
    current_file.set(display)
    problems: list[Problem] = []
    try:
        raw = path.read_bytes()
    except OSError as exc:
        return None, [Problem(display, 1, 1, "RG006", f"cannot read file: {exc.strerror}")]
    if len(raw) > MAX_FILE_BYTES:
        return None, [Problem(display, 1, 1, "RG002",
                              f"file is {len(raw):,} bytes, more than the limit of {MAX_FILE_BYTES:,}",
                              "split it into several files")]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, [Problem(display, line, column, "RG001",
                              f"byte 0x{raw[exc.start]:02x} is not UTF-8",
                              "save the file as UTF-8")]
    text = text.removeprefix("\ufeff")
    if not text.strip() or all(
        not line.strip() or line.lstrip().startswith("#") for line in text.splitlines()
    ):
        return None, [Problem(display, 1, 1, "RG004", "file is empty",
                              "add content or delete the file")]
    try:
        _measure(text)
        node = yaml.compose(text, Loader=_SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = exc.problem or str(exc)
        if exc.context:
            message = f"{exc.context}: {message}"
        return None, [Problem(display, line, column, "RG002", f"YAML does not parse: {message}",
                              "check indentation, colons and quotes on this line and the one above")]
    except yaml.reader.ReaderError as exc:  # a control character, or bad encoding inside
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        return None, [Problem(display, line, column, "RG002",
                              f"character {exc.character!r} is not allowed in YAML",
                              "delete it; content files hold printable text only")]
    except yaml.YAMLError as exc:
        return None, [Problem(display, 1, 1, "RG002",
                              "YAML does not parse: " + " ".join(str(exc).split()))]
    except _TooBig as exc:
        return None, [Problem(display, *exc.loc, "RG005", str(exc),
                              "content files are flat lists of records; aliases ('*name') "
                              "that repeat or contain themselves are not allowed")]
    except RecursionError:
        return None, [Problem(display, 1, 1, "RG005",
                              f"lists and mappings nest more than {MAX_DEPTH} deep",
                              "content files are flat lists of records")]
    if node is None:
        return None, [Problem(display, 1, 1, "RG004", "file is empty")]
    converter = _Converter(display, problems)
    try:
        data = converter.convert(node)
    except _TooBig as exc:
        return None, [Problem(display, 1, 1, "RG005", str(exc),
                              "content files are flat lists of records; aliases ('*name') "
                              "that repeat or contain themselves are not allowed")]
    return SourceFile(path, display, data), problems


def find_content_files(content_dir: Path) -> dict[str, list[Path]]:
    """The files that make up a content folder, in a stable order.

    Returns ``{"registries": [...], "facts": [...], "pages": [...]}``.
    """
    registries = [content_dir / f"{name}.yaml" for name in REGISTRY_FILES]
    facts = sorted((content_dir / "facts").glob("*.yaml")) + sorted(
        (content_dir / "facts").glob("*.yml"))
    pages = sorted((content_dir / "pages").glob("*.md"))
    return {"registries": registries, "facts": sorted(facts), "pages": pages}


REGISTRY_FILES = ("site", "sources", "regions", "programs", "metrics")
"""Registry files at the top of a content folder, one YAML file each."""
