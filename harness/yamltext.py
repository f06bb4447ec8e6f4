"""Reading YAML files people write (scenarios, rule files): one reader that refuses, with a
ValueError naming the line, what PyYAML lets through or crashes on: a file that is not UTF-8, a
key given twice in one mapping (YAML says keys are unique; PyYAML keeps the last silently) and
nesting so deep the parser recurses out of stack (RecursionError, a traceback)."""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode

MAX_DEPTH = 64


class YamlTextError(ValueError):
    """Not YAML we accept; the message says where and why."""


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader refusing duplicate keys."""

    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                line = key_node.start_mark.line + 1
                raise ConstructorError(
                    None,
                    None,
                    f"key {key!r} is given twice (again on line {line})",
                    key_node.start_mark,
                )
            seen[key] = True
        return super().construct_mapping(node, deep=deep)


def _depth(node: yaml.Node) -> int:
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_DEPTH:
            break
        if isinstance(item, MappingNode):
            stack += [(n, depth + 1) for pair in item.value for n in pair]
        elif isinstance(item, yaml.SequenceNode):
            stack += [(n, depth + 1) for n in item.value]
    return deepest


def load_yaml(raw: bytes) -> Any:
    """The document in `raw`, or YamlTextError (a ValueError) saying what is wrong."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise YamlTextError(f"not UTF-8 text (byte {exc.start} is {raw[exc.start]:#04x})") from None
    loader = _UniqueKeyLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if _depth(node) > MAX_DEPTH:
            raise YamlTextError(f"nested deeper than {MAX_DEPTH} levels")
        return loader.construct_document(node)
    except RecursionError:
        raise YamlTextError(f"nested deeper than {MAX_DEPTH} levels") from None
    except yaml.YAMLError as exc:
        raise YamlTextError(f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
