"""What a Hercules CI job is (hercules-agent.md §4): its outputs, ``enable``, ``extraInputs``
and, for an ``onSchedule`` job, ``when``.

    herculesCI.onPush.<job>     = { outputs; extraInputs ? { }; enable ? true; }
    herculesCI.onSchedule.<job> = { outputs; extraInputs ? { }; enable ? true; when ? { }; }

* `job_outputs`: the outputs the agent walks: a set, or a function called with the
  resolved extra inputs (each declared ``extraInputs.<name> = { project = "owner/repo";
  ref ? …; }``). Only Hercules CI resolves them, so each is an unknown unless given.
  None for a job with ``enable = false`` (the agent does not run it).
* `job_when`: the ``when`` of a scheduled job, validated as the hercules-ci-effects
  ``when`` option and the agent accept it, as a plain dict for display; `describe_when`
  says it in one line.

A job that is not valid is `InvalidJob` (E220), placed at the offending attribute.
A value unknown offline never stops these: an unknown job, outputs or ``enable`` stays
as it is (a job whose ``enable`` is unknown is walked: hiding it would lose it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..eval import errors as E
from ..eval.force import force
from ..spelling import closest
from ..values import Attrs, Closure, PrimOp, PrimOpApp, Unknown, show_type

if TYPE_CHECKING:
    from ..eval.machine import Machine
    from ..syntax.nodes import Span
    from ..syntax.source import Source

    Where = tuple[Source | None, Span | None]

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
# Each `when` field: its description in messages, and the range of its integers.
_RANGES = {"hour": (0, 23), "minute": (0, 59), "dayOfMonth": (1, 31)}
WHEN_FIELDS = ("minute", "hour", "dayOfWeek", "dayOfMonth")


class InvalidJob(E.EvalError):
    """A job the agent would refuse: a bad ``when``, ``enable``, ``extraInputs`` or no
    ``outputs``."""

    code = "E220"
    kind = "job"


def job_outputs(machine: Machine, job: Any, extra_inputs: Mapping[str, Any] | None = None) -> Any:
    """The outputs of `job` as the agent walks them, or None when it is disabled.

    `extra_inputs` gives values (items) for declared extra inputs by name; the others are
    unknowns saying which project and ref Hercules CI would resolve."""
    value = force(job)
    if type(value) is Unknown:
        return value
    attrs = _attrs(value, "a job", None)
    if "enable" in attrs.items:
        enable = force(attrs.items["enable"])
        if type(enable) is not Unknown:
            if type(enable) is not bool:
                raise InvalidJob(
                    f"a job's enable must be a Boolean, but is {show_type(enable)}",
                    *_place(attrs, "enable"),
                )
            if not enable:
                return None
    if "outputs" not in attrs.items:
        source, span = attrs.written_at() or (None, None)
        raise InvalidJob(
            "a job must have outputs (a set, or a function of its extraInputs)",
            source,
            span,
            hint="write `outputs = { … };` in the job",
        )
    outputs = force(attrs.items["outputs"])
    if type(outputs) in (Closure, PrimOp, PrimOpApp):
        inputs = resolved_inputs(machine, attrs, extra_inputs or {})
        return force(machine.call(outputs, inputs))
    return outputs


def resolved_inputs(machine: Machine, job: Attrs, given: Mapping[str, Any]) -> Any:
    """The argument of a job's ``outputs`` function: each declared extra input, given or
    an unknown named after it."""
    declared = force(job.items["extraInputs"]) if "extraInputs" in job.items else Attrs({})
    if type(declared) is Unknown:
        return declared
    where = _place(job, "extraInputs")
    declared = _attrs(declared, "extraInputs", where)
    inputs: dict[str, Any] = {}
    for name in declared.names():
        spec = _input_spec(machine, declared, name)
        inputs[name] = given.get(name, spec)
    return Attrs(inputs)


def _input_spec(machine: Machine, declared: Attrs, name: str) -> Any:
    """The unknown standing for ``extraInputs.<name>`` (checking its declaration)."""
    where = _place(declared, name)
    spec = force(declared.items[name])
    if type(spec) is Unknown:
        return spec
    spec = _attrs(spec, f"extraInputs.{name}", where)
    if "project" not in spec.items:
        raise InvalidJob(
            f'extraInputs.{name} must name its project: `project = "owner/repo";`', *where
        )
    project = _text(force(spec.items["project"]), f"extraInputs.{name}.project", where)
    if not project.startswith("«") and len([p for p in project.split("/") if p]) != 2:
        raise InvalidJob(
            f'extraInputs.{name}.project must be "owner/repo", but is "{project}"',
            *_place(spec, "project"),
        )
    ref = None
    if "ref" in spec.items:
        ref = _text(force(spec.items["ref"]), f"extraInputs.{name}.ref", _place(spec, "ref"))
    at = f" at ref {ref}" if ref is not None else ""
    return Unknown(
        f"extraInputs.{name} (the project {project}{at}, resolved by Hercules CI)",
        where[0],
        where[1],
    )


def _text(value: Any, what: str, where: Where) -> str:
    """A string for a description (an unknown as «unknown: …»)."""
    if type(value) is Unknown:
        return _shown(value)
    if not isinstance(value, str):
        raise InvalidJob(f"{what} must be a string, but is {show_type(value)}", *where)
    return str(value)


# --- when -----------------------------------------------------------------------------------


def job_when(machine: Machine, job: Any) -> dict[str, Any]:
    """The ``when`` of a scheduled job, normalised: only the fields set (not null), with
    ``hour`` always a list. An unknown field (or ``when`` itself) is kept as its
    `Unknown`: ``{"unknown": u}`` for a whole unknown ``when``."""
    value = force(job)
    if type(value) is Unknown:
        return {"unknown": value}
    attrs = _attrs(value, "a job", None)
    if "when" not in attrs.items:
        return {}
    when = force(attrs.items["when"])
    if type(when) is Unknown:
        return {"unknown": when}
    when = _attrs(when, "when", _place(attrs, "when"))
    result: dict[str, Any] = {}
    for name in when.names():
        if name not in WHEN_FIELDS:
            suggestion = closest(name, WHEN_FIELDS)
            raise InvalidJob(
                f"when has no attribute '{name}': it takes {', '.join(WHEN_FIELDS)}",
                *_place(when, name),
                hint=f"did you mean '{suggestion}'?" if suggestion else None,
            )
        field = force(when.items[name])
        if field is None:
            continue
        result[name] = _field(name, field, _place(when, name))
    return {name: result[name] for name in WHEN_FIELDS if name in result}


def _field(name: str, value: Any, where: Where) -> Any:
    if type(value) is Unknown:
        return value
    if name == "minute":
        return _number(name, value, where, "an integer from 0 to 59")
    if name == "hour":
        if type(value) is int:
            return [_number(name, value, where, "an integer from 0 to 23, or a list of them")]
        return _list(name, value, where, "an integer from 0 to 23, or a list of them")
    if name == "dayOfMonth":
        return _list(name, value, where, "a list of integers from 1 to 31")
    return _list(name, value, where, f"a list of days: {', '.join(DAYS)}")


def _list(name: str, value: Any, where: Where, expected: str) -> list[Any]:
    if type(value) is not list:
        raise InvalidJob(f"when.{name} must be {expected}, but is {show_type(value)}", *where)
    out: list[Any] = []
    for item in value:
        element = force(item)
        if type(element) is Unknown:
            out.append(element)
        elif name == "dayOfWeek":
            if not isinstance(element, str) or element not in DAYS:
                shown = f'"{element}"' if isinstance(element, str) else show_type(element)
                suggestion = _day_like(element) if isinstance(element, str) else None
                raise InvalidJob(
                    f"when.dayOfWeek must be {expected}, but has {shown}",
                    *where,
                    hint=f"did you mean '{suggestion}'?" if suggestion else None,
                )
            out.append(str(element))
        else:
            out.append(_number(name, element, where, expected))
    return out


def _day_like(text: str) -> str | None:
    """The day `text` probably means: ``Sunday`` and ``sun`` are ``Sun``."""
    abbreviation = text[:3].capitalize()
    return abbreviation if abbreviation in DAYS else closest(text, DAYS)


def _number(name: str, value: Any, where: Where, expected: str) -> int:
    low, high = _RANGES[name]
    if type(value) is not int:
        raise InvalidJob(f"when.{name} must be {expected}, but is {show_type(value)}", *where)
    if not low <= value <= high:
        raise InvalidJob(f"when.{name} must be {expected}, but has {value}", *where)
    return value


def describe_when(when: Mapping[str, Any]) -> str:
    """`job_when`'s result in one line: ``Sat at 03:00``, ``daily at 03:xx`` (``xx``: a
    time Hercules CI picks), ``Mon, Fri on day 1 of the month at 12:30``."""
    if "unknown" in when:
        return f"at a time unknown offline ({_shown(when['unknown'])})"
    days = when.get("dayOfWeek")
    month_days = when.get("dayOfMonth")
    parts = []
    if days is not None:
        parts.append(_joined(days))
    if month_days is not None:
        parts.append(f"on day {_joined(month_days)} of the month")
    if not parts:
        parts.append("daily")
    hours = when.get("hour")
    minute = when.get("minute")
    minute_text = "xx" if minute is None else _two(minute)
    if hours is None:
        times = f"xx:{minute_text}"
    elif type(hours) is Unknown:
        times = f"{_shown(hours)}:{minute_text}"
    else:
        times = ", ".join(f"{_two(hour)}:{minute_text}" for hour in hours)
    return f"{' '.join(parts)} at {times}"


def _joined(values: Any) -> str:
    if type(values) is Unknown:
        return _shown(values)
    return ", ".join(_shown(v) if type(v) is Unknown else str(v) for v in values)


def _two(value: Any) -> str:
    return _shown(value) if type(value) is Unknown else f"{value:02d}"


def _shown(value: Unknown) -> str:
    return f"«unknown: {value.provenance}»"


# --- helpers --------------------------------------------------------------------------------


def _place(attrs: Attrs, name: str) -> Where:
    return attrs.position(name) or attrs.written_at() or (None, None)


def _attrs(value: Any, what: str, where: Where | None) -> Attrs:
    if type(value) is not Attrs:
        raise InvalidJob(
            f"{what} must be an attribute set, but is {show_type(value)}",
            *(where or (None, None)),
        )
    return value
