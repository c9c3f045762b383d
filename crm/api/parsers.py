"""Request body parsers for the API."""

import codecs

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json

# No endpoint takes more than a couple of levels; 32 leaves room and stays far
# below the depth at which Python's parser and serializers run out of stack.
MAX_JSON_DEPTH = 32
TOO_DEEP = f"Слишком глубокая вложенность JSON: допускается не больше {MAX_JSON_DEPTH} уровней."


class BoundedJSONParser(JSONParser):
    """DRF's JSON parser that answers a 400 in Russian to malformed or deeply nested JSON.

    Python's json module recurses once per level, so a body nested a few
    thousand deep raised RecursionError, a 500; one nested a few hundred deep
    parsed and then went on to recurse through validation.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = get_encoding(parser_context or {})
        try:
            decoded = codecs.getreader(encoding)(stream)
            data = json.load(decoded, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        except ValueError as exc:
            raise ParseError(f"Некорректный JSON: {exc}") from None
        if _deeper_than(data, MAX_JSON_DEPTH):
            raise ParseError(TOO_DEEP)
        return data


def _deeper_than(data, limit: int) -> bool:
    # A loop, not recursion: the check must not fail the way the parser did.
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children)
    return False
