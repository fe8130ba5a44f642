"""`Record`: an immutable record, written and typed as a ``typing.NamedTuple`` and made at a
fraction of its cost.

``class Position(Record): line: int; column: int`` reads as the named tuple it is (mypy sees
``typing.NamedTuple`` itself), and at run time the class is a tuple subclass with the
same fields, defaults, methods (``_replace``, ``_asdict``, ``_make``), ``repr``, equality,
hashing, pickling and pattern matching. What it is spared: ``collections.namedtuple``
compiles each class's ``__new__`` with `eval`, and ``typing.NamedTuple`` compiles each
string annotation into a ``ForwardRef`` and sets the new class's bases again: ~0.3 ms a
class in a cold process, ~9 ms of a cold ``ci-eval check`` for its 29 records. Here the
methods are the base class's, shared by every record, and ``__new__`` maps its arguments
to the fields at run time (records are made a few thousand times at most in a run).
tests/test_records.py checks every record of ci-eval against the ``typing.NamedTuple`` of
the same fields.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

try:
    from _collections import _tuplegetter  # type: ignore[import-not-found]  # namedtuple's
except ImportError:  # another Python: a property does the same, more slowly
    from operator import itemgetter

    def _tuplegetter(index: int, doc: str) -> Any:
        return property(itemgetter(index), doc=doc)


# What a record class may not define itself (as for `typing.NamedTuple`).
_PROHIBITED = frozenset(
    [
        "__new__",
        "__init__",
        "__slots__",
        "__getnewargs__",
        "_fields",
        "_field_defaults",
        "_make",
        "_replace",
        "_asdict",
        "_source",
    ]
)


class _RecordMeta(type):
    def __new__(mcls, name: str, bases: tuple[type, ...], ns: dict[str, Any]) -> Any:
        if ns.get("__module__") == __name__ or _Record not in bases:
            # `Record` itself, or a subclass of a record class: a plain class.
            return super().__new__(mcls, name, bases, ns)
        if bases != (_Record,):
            raise TypeError(f"{name}: a record has no other base class")
        fields = tuple(ns.get("__annotations__", {}))
        defaults: dict[str, Any] = {}
        for field in fields:
            if field in ns:
                defaults[field] = ns.pop(field)
            elif defaults:
                raise TypeError(
                    f"Non-default namedtuple field {field} cannot follow default field"
                    f"{'s' if len(defaults) > 1 else ''} {', '.join(defaults)}"
                )
        for key in ns:
            if key in _PROHIBITED:
                raise AttributeError(f"Cannot overwrite NamedTuple attribute {key}")
        ns.update(
            __slots__=(),
            _fields=fields,
            _field_defaults=defaults,
            _default_values=tuple(defaults.values()),
            __match_args__=fields,
        )
        for index, field in enumerate(fields):
            ns[field] = _tuplegetter(index, f"Alias for field number {index}")
        return super().__new__(mcls, name, bases, ns)


class _Record(tuple[Any, ...], metaclass=_RecordMeta):
    """What `Record` is at run time (see the module docstring)."""

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _field_defaults: ClassVar[dict[str, Any]] = {}
    _default_values: ClassVar[tuple[Any, ...]] = ()  # those of the last fields, in order

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        missing = len(cls._fields) - len(args)
        if kwargs or missing:
            if not kwargs and 0 < missing <= len(cls._default_values):
                # The commonest call after a full one: the last fields left to their
                # defaults (the defaulted fields are always the last).
                args += cls._default_values[len(cls._default_values) - missing :]
            else:
                args = cls._arguments(args, kwargs)
        return tuple.__new__(cls, args)

    @classmethod
    def _arguments(cls, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Any, ...]:
        """The fields' values from a call's arguments, as a function with the fields
        as its parameters (and their defaults) would take them."""
        fields, where = cls._fields, f"{cls.__name__}.__new__()"
        if len(args) > len(fields):
            raise TypeError(
                f"{where} takes {len(fields) + 1} positional arguments but "
                f"{len(args) + 1} were given"
            )
        for name in fields[: len(args)]:
            if name in kwargs:
                raise TypeError(f"{where} got multiple values for argument '{name}'")
        values = list(args)
        missing = []
        for name in fields[len(args) :]:
            if name in kwargs:
                values.append(kwargs.pop(name))
            elif name in cls._field_defaults:
                values.append(cls._field_defaults[name])
            else:
                missing.append(name)
        if missing:
            raise TypeError(f"{where} missing required argument(s): {', '.join(missing)}")
        if kwargs:
            raise TypeError(f"{where} got an unexpected keyword argument '{next(iter(kwargs))}'")
        return tuple(values)

    @classmethod
    def _make(cls, iterable: Any) -> Any:
        result = tuple.__new__(cls, iterable)
        if len(result) != len(cls._fields):
            raise TypeError(f"Expected {len(cls._fields)} arguments, got {len(result)}")
        return result

    def _replace(self, /, **changes: Any) -> Any:
        result = self._make(map(changes.pop, self._fields, self))
        if changes:
            raise ValueError(f"Got unexpected field names: {list(changes)!r}")
        return result

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{name}={value!r}" for name, value in zip(self._fields, self, strict=True)
        )
        return f"{self.__class__.__name__}({shown})"

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    def __getnewargs__(self) -> tuple[Any, ...]:
        return tuple(self)


if TYPE_CHECKING:
    from typing import NamedTuple as Record
else:
    Record = _Record

__all__ = ["Record"]
