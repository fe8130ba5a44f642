"""`nixeval.records.Record`: every record of ci-eval behaves as the ``typing.NamedTuple``
of the same fields, and is made without compiling code."""

from __future__ import annotations

import copy
import importlib
import pickle
import typing
from pathlib import Path
from typing import Any

import pytest

import nixeval
from nixeval.records import Record


def _all_records() -> list[type]:
    found: dict[str, type] = {}
    root = Path(nixeval.__file__).parent
    # Every module file (pkgutil does not walk packages without an __init__.py).
    for path in sorted(root.rglob("*.py")):
        name = ".".join(("nixeval", *path.relative_to(root).with_suffix("").parts))
        if name.endswith(("__main__", "__init__")):
            continue
        module = importlib.import_module(name)
        for value in vars(module).values():
            if isinstance(value, type) and Record in value.__bases__:
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return [found[name] for name in sorted(found)]


RECORDS = _all_records()


def _reference(cls: type) -> Any:
    """The ``typing.NamedTuple`` of `cls`'s fields and defaults."""
    fields = [(name, Any) for name in cls._fields]  # type: ignore[attr-defined]
    made = typing.NamedTuple(cls.__name__, fields)  # type: ignore[misc]
    made.__new__.__defaults__ = tuple(cls._field_defaults.values()) or None  # type: ignore[attr-defined]
    made._field_defaults = dict(cls._field_defaults)  # type: ignore[attr-defined]
    return made


def test_every_record_is_found() -> None:
    names = {f"{c.__module__}.{c.__qualname__}" for c in RECORDS}
    assert len(RECORDS) > 25
    assert {"nixeval.diagnostics.Diagnostic", "nixeval.eval.errors.Frame"} <= names


@pytest.mark.parametrize("cls", RECORDS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_a_record_behaves_as_its_named_tuple(cls: Any) -> None:
    reference = _reference(cls)
    fields, defaults = cls._fields, cls._field_defaults
    assert fields == reference._fields == cls.__match_args__ == reference.__match_args__
    assert list(defaults) == list(fields[len(fields) - len(defaults) :])
    assert cls.__slots__ == () and isinstance(cls, type) and issubclass(cls, tuple)
    values = [("v", name) for name in fields]
    a, ra = cls(*values), reference(*values)
    assert a == ra and a == tuple(values) and hash(a) == hash(ra)
    assert repr(a) == repr(ra)
    assert [getattr(a, name) for name in fields] == values
    assert not hasattr(a, "__dict__")
    assert cls(**dict(zip(fields, values, strict=True))) == a
    required = [name for name in fields if name not in defaults]
    for given in range(len(required), len(fields) + 1):  # any of the last fields defaulted
        assert cls(*values[:given]) == reference(*values[:given])
    changed = a._replace(**{fields[-1]: "w"})
    assert type(changed) is cls and changed == ra._replace(**{fields[-1]: "w"})
    assert a._asdict() == ra._asdict()
    assert cls._make(values) == a and type(cls._make(values)) is cls
    for made in (pickle.loads(pickle.dumps(a)), copy.copy(a), copy.deepcopy(a)):
        assert made == a and type(made) is cls
    with pytest.raises(AttributeError):
        setattr(a, fields[0], 1)
    for bad in (
        lambda: cls(*values, 1),  # too many
        lambda: cls(*values[: len(required) - 1]) if required else cls(nope=1),  # too few
        lambda: cls(*values, **{fields[0]: 1}),  # twice
        lambda: cls(*values, nope=1),  # unknown
        lambda: cls._make(values[:-1]),
    ):
        with pytest.raises(TypeError):
            bad()
    with pytest.raises(ValueError, match="unexpected field names"):
        a._replace(nope=1)


class Place(Record):
    """A record with a method, a property, a class constant and a default."""

    line: int
    column: int = 1
    ORIGIN = "top"

    def moved(self, by: int) -> Place:
        return self._replace(line=self.line + by)

    @property
    def shown(self) -> str:
        return f"{self.line}:{self.column}"


def test_a_record_keeps_its_methods_docstring_and_class_attributes() -> None:
    p = Place(3)
    assert p == (3, 1) and p.moved(2) == Place(5, 1) and p.shown == "3:1"
    assert Place.ORIGIN == "top" and "ORIGIN" not in Place._fields
    assert Place.__doc__ == "A record with a method, a property, a class constant and a default."
    assert Place.__module__ == __name__ and Place.__qualname__ == "Place"
    match p:
        case Place(line, column):
            assert (line, column) == (3, 1)
    line, column = p
    assert (line, column) == (3, 1)


def test_a_subclass_of_a_record_is_a_plain_subclass() -> None:
    class Named(Place):
        __slots__ = ()

        def name(self) -> str:
            return f"line {self.line}"

    n = Named(4, 2)
    assert n.name() == "line 4" and n == (4, 2) and Named._fields == ("line", "column")


def test_what_a_named_tuple_refuses_a_record_refuses() -> None:
    with pytest.raises(TypeError, match="cannot follow default"):

        class Bad(Record):
            a: int = 0
            b: int

    with pytest.raises(AttributeError, match="Cannot overwrite NamedTuple attribute _replace"):

        class Worse(Record):
            a: int

            def _replace(self, /, **changes: Any) -> Any:
                return self


def test_records_are_made_without_compiling_code(monkeypatch: pytest.MonkeyPatch) -> None:
    """The point of `Record`: making a record class compiles nothing, where a named tuple
    `eval`s its ``__new__`` and ``typing.NamedTuple`` compiles each string annotation."""
    import builtins

    called: list[str] = []
    for name in ("compile", "eval"):
        real = getattr(builtins, name)
        monkeypatch.setattr(
            builtins,
            name,
            lambda *args, name=name, real=real, **kwargs: (
                called.append(name) or real(*args, **kwargs)
            ),
        )

    class Fresh(Record):
        a: str | None
        b: tuple[int, ...] = ()

    assert called == [] and Fresh("x") == ("x", ())
    assert typing.NamedTuple("Fresh", [("a", "str | None")])("x") == ("x",)
    assert sorted(called) == ["compile", "eval"]
