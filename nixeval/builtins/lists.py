"""Lists: head tail length elemAt elem map filter foldl' genList concatLists concatMap all
any sort partition groupBy genericClosure."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval import ops
from ..eval.force import force
from ..values import Attrs
from .registry import builtin

if TYPE_CHECKING:
    from ..eval.machine import Machine


@builtin("head", 1)
def head(m: Machine, xs: Any) -> Any:
    items = m.force_list(xs)
    if not items:
        raise E.EvalError("list index 0 is out of bounds")
    return force(items[0])


@builtin("tail", 1)
def tail(m: Machine, xs: Any) -> list[Any]:
    items = m.force_list(xs)
    if not items:
        raise E.EvalError("'tail' called on an empty list")
    return items[1:]


@builtin("length", 1)
def length(m: Machine, xs: Any) -> int:
    return len(m.force_list(xs))


@builtin("elemAt", 2)
def elem_at(m: Machine, xs: Any, n: Any) -> Any:
    items = m.force_list(xs)
    index = ops.to_int(force(n))
    if index < 0 or index >= len(items):
        raise E.EvalError(f"list index {index} is out of bounds")
    return force(items[index])


@builtin("elem", 2)
def elem(m: Machine, x: Any, xs: Any) -> bool:
    value = force(x)
    return any(item is x or ops.equal(m, value, force(item)) for item in m.force_list(xs))


@builtin("map", 2)
def map_(m: Machine, f: Any, xs: Any) -> list[Any]:
    fn = force(f)
    return m.lazy_calls(fn, m.force_list(xs))


@builtin("filter", 2)
def filter_(m: Machine, f: Any, xs: Any) -> list[Any]:
    fn = m.force_function(f)
    items = m.force_list(xs)
    kept = [item for item in items if m.force_bool(m.call(fn, item))]
    return items if len(kept) == len(items) else kept


@builtin("foldl'", 3)
def foldl(m: Machine, f: Any, start: Any, xs: Any) -> Any:
    fn = m.force_function(f)
    return force(m.fold_left(fn, start, m.force_list(xs)))


@builtin("genList", 2)
def gen_list(m: Machine, f: Any, n: Any) -> list[Any]:
    count = ops.to_int(force(n))
    if count < 0:
        raise E.EvalError(f"cannot create list of size {count}")
    fn = force(f)
    return m.lazy_calls(fn, range(count))


@builtin("concatLists", 1)
def concat_lists(m: Machine, xss: Any) -> list[Any]:
    out: list[Any] = []
    for xs in m.force_list(xss):
        out.extend(m.force_list(xs))
    return out


@builtin("concatMap", 2)
def concat_map(m: Machine, f: Any, xs: Any) -> list[Any]:
    fn = m.force_function(f)
    out: list[Any] = []
    for item in m.force_list(xs):
        out.extend(m.force_list(m.call(fn, item)))
    return out


@builtin("all", 2)
def all_(m: Machine, f: Any, xs: Any) -> bool:
    fn = m.force_function(f)
    return all(m.force_bool(m.call(fn, item)) for item in m.force_list(xs))


@builtin("any", 2)
def any_(m: Machine, f: Any, xs: Any) -> bool:
    fn = m.force_function(f)
    return any(m.force_bool(m.call(fn, item)) for item in m.force_list(xs))


@builtin("sort", 2)
def sort(m: Machine, f: Any, xs: Any) -> list[Any]:
    fn = m.force_function(f)

    class Key:
        """Python's sort is stable and asks only "a < b": the comparator, once per pair."""

        __slots__ = ("item",)

        def __init__(self, item: Any) -> None:
            self.item = item

        def __lt__(self, other: Key) -> bool:
            return m.force_bool(m.call_two(fn, self.item, other.item))

    return sorted(m.force_list(xs), key=Key)


@builtin("partition", 2)
def partition(m: Machine, f: Any, xs: Any) -> Attrs:
    fn = m.force_function(f)
    right: list[Any] = []
    wrong: list[Any] = []
    for item in m.force_list(xs):
        (right if m.force_bool(m.call(fn, item)) else wrong).append(item)
    return Attrs({"right": right, "wrong": wrong})


@builtin("groupBy", 2)
def group_by(m: Machine, f: Any, xs: Any) -> Attrs:
    fn = m.force_function(f)
    groups: dict[str, list[Any]] = {}
    for item in m.force_list(xs):
        key = m.force_string_no_ctx(m.call(fn, item))
        groups.setdefault(key, []).append(item)
    return Attrs(dict(groups))


@builtin("genericClosure", 1)
def generic_closure(m: Machine, args: Any) -> list[Any]:
    """Keys are kept as Nix keeps them, in a set ordered by `<`: two keys are the same when
    neither is less than the other, and keys of types that do not compare are an error."""
    spec = m.force_attrs(args)
    if "startSet" not in spec.items:
        raise E.MissingAttribute("attribute 'startSet' required")
    if "operator" not in spec.items:
        raise E.MissingAttribute("attribute 'operator' required")
    work = list(m.force_list(spec.items["startSet"]))
    operator = force(spec.items["operator"])
    seen: list[Any] = []  # sorted by ops.less_than
    result: list[Any] = []
    index = 0
    while index < len(work):
        item = work[index]
        index += 1
        attrs = m.force_attrs(item)
        if "key" not in attrs.items:
            raise E.MissingAttribute("attribute 'key' required")
        key = force(attrs.items["key"])
        low, high = 0, len(seen)
        while low < high:
            mid = (low + high) // 2
            if ops.less_than(m, seen[mid], key):
                low = mid + 1
            else:
                high = mid
        if low < len(seen) and not ops.less_than(m, key, seen[low]):
            continue
        seen.insert(low, key)
        result.append(item)
        work.extend(m.force_list(m.call(operator, item)))
    return result
