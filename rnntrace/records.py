"""Records: the frozen dataclasses on the way to a run (a spec, its layers and their
blocks, a step and each layer's record at a step), made without compiling four methods
a class when their modules are imported.

``@dataclass(frozen=True)`` writes and compiles ``__init__``, ``__repr__``,
``__setattr__`` and ``__delattr__`` for every class as its module is imported: ~0.6 ms
a class. The nine that a run of one LSTM imported were, with the dataclasses module, a
third of what the run added to importing numpy, yaml and click (docs/speed.md).
``@record`` makes the same class for all that rnntrace and its users do with one:

- made with the annotated fields in order, by position or keyword, defaults as written
  or inherited (its ``__init__`` is compiled for the class once it has made a few: a
  record is made at every step, and a class a run makes once or never costs no
  compile); a field
  without a default after one with, a ``dataclasses.field()`` or an unhashable default
  is refused when the class is made;
- frozen: setting or deleting an attribute raises ``dataclasses.FrozenInstanceError``;
- compared and hashed by identity, as ``eq=False`` does: the fields hold arrays;
- shown as a dataclass shows itself, ``Spec(inputs=array(…), layers=(…), …)``, but for
  the fields a class names in ``__record_hidden__`` (as ``field(repr=False)``), matched
  by position in a ``case`` and copied by ``copy.replace`` (Python 3.13 on);
- ``dataclasses.fields``, ``replace``, ``asdict`` and ``is_dataclass`` work on it: the
  ``__dataclass_fields__`` they read is made when it is first read, by
  ``dataclasses.dataclass`` itself, so ``dataclasses`` is imported only then.

The code on the way to a run reads the fields with :func:`names` and copies a record
with :func:`replace`, neither of which imports ``dataclasses``; what runs off that way
(the float32 cast, the backward pass, the schemas) uses ``dataclasses`` on records.
"""
from __future__ import annotations

import sys
from typing import Any, Dict, Tuple

_MISSING = object()


def record(cls: type) -> type:
    """Make ``cls`` a frozen record of its annotated fields (those of a record it
    extends first, as a dataclass orders them)."""
    base = next((b for b in cls.__mro__[1:] if "__record_fields__" in b.__dict__), None)
    types: Dict[str, Any] = dict(base.__record_types__) if base else {}
    defaults: Dict[str, Any] = dict(base.__record_defaults__) if base else {}
    for name, kind in cls.__dict__.get("__annotations__", {}).items():
        if str(kind).startswith(("ClassVar", "typing.ClassVar")):
            continue
        types[name] = kind
        default = getattr(cls, name, _MISSING)   # as a dataclass: a base's default too
        if default is _MISSING:
            defaults.pop(name, None)
            continue
        dataclasses = sys.modules.get("dataclasses")   # no Field without it
        if dataclasses is not None and isinstance(default, dataclasses.Field):
            raise TypeError(f"{cls.__name__}.{name}: a record takes a plain default, not dataclasses.field()")
        if type(default).__hash__ is None:   # a list, dict, set or array: as dataclasses refuses it
            raise ValueError(f"{cls.__name__}.{name}: a mutable default would be shared by every record")
        defaults[name] = default
    after_default = False   # refused as dataclasses refuses it: now, not by the first __init__
    for name in types:
        if name in defaults:
            after_default = True
        elif after_default:
            raise TypeError(f"non-default argument {name!r} follows default argument")
    cls.__record_fields__ = tuple(types)
    cls.__record_types__ = types
    cls.__record_defaults__ = defaults
    cls.__record_shown__ = tuple(name for name in types if name not in getattr(cls, "__record_hidden__", ()))
    cls.__init__ = _first_init(cls)
    cls.__match_args__ = cls.__record_fields__
    cls.__replace__ = replace   # copy.replace, Python 3.13 on
    cls.__setattr__ = _frozen
    cls.__delattr__ = _frozen
    if "__repr__" not in cls.__dict__:
        cls.__repr__ = _repr
    cls.__dataclass_fields__ = _DataclassFields()
    return cls


def names(record_or_class) -> Tuple[str, ...]:
    """The names of a record's fields, in order."""
    return record_or_class.__record_fields__


def is_record(value) -> bool:
    return hasattr(value, "__record_fields__") and not isinstance(value, type)


def replace(obj, **changes):
    """A copy of the record ``obj`` with ``changes`` (as ``dataclasses.replace``)."""
    fields = type(obj).__record_fields__
    unknown = [name for name in changes if name not in fields]
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {unknown[0]!r}")
    values = {name: getattr(obj, name) for name in fields}
    values.update(changes)
    return type(obj)(**values)


#: A record class's first records are made by a loop over its fields; the class's own
#: ``__init__`` (a compile, ~80 µs) is written when it makes this many, as the classes of
#: a step's records soon do, and a spec, its layers and their blocks never do.
LOOPED = 16


def _first_init(cls: type):
    """The ``__init__`` a record class starts with: its first LOOPED - 1 records are
    made by setting the fields one by one. Then, or at once for arguments that do not
    fit the fields (which its own raises about, as a dataclass's does), it compiles the
    class's own, puts it in its place and makes the record with it."""
    fields, defaults, set_field = cls.__record_fields__, cls.__record_defaults__, object.__setattr__
    place = {name: i for i, name in enumerate(fields)}
    made = 0

    def __init__(self, *args, **kwargs):
        nonlocal made
        made += 1
        given = len(args)
        if made < LOOPED and given <= len(fields) and all(place.get(key, -1) >= given for key in kwargs) \
                and all(name in kwargs or name in defaults for name in fields[given:]):
            for name, value in zip(fields, args):
                set_field(self, name, value)
            for name in fields[given:]:
                set_field(self, name, kwargs[name] if name in kwargs else defaults[name])
            return
        cls.__init__ = _init(cls)
        cls.__init__(self, *args, **kwargs)
    __init__.__qualname__ = f"{cls.__qualname__}.__init__"
    return __init__


def _init(cls: type):
    """``__init__(self, <field>, …, <field>=<default>, …)``, storing each field as it
    comes. The text holds only the fields' names, which are identifiers of rnntrace's
    own classes; the defaults are bound as values."""
    fields, defaults = cls.__record_fields__, cls.__record_defaults__
    params = ", ".join(f"{name}=__default_{name}" if name in defaults else name for name in fields)
    # object.__setattr__, as a frozen dataclass's __init__ sets its fields: a store into
    # __self.__dict__ would be twice as quick but makes each record carry a dict object
    # of its own (64 bytes more, 7 MB over a 20,000-step table view)
    body = "".join(f"    __set(__self, {name!r}, {name})\n" for name in fields) or "    pass\n"
    source = f"def __init__(__self, {params}):\n{body}"
    namespace = {f"__default_{name}": value for name, value in defaults.items()}
    namespace["__set"] = object.__setattr__
    exec(compile(source, f"<record {cls.__qualname__}>", "exec"), namespace)  # noqa: S102 — field names only
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _frozen(self, name, *value):
    from dataclasses import FrozenInstanceError
    raise FrozenInstanceError(f"cannot assign to field {name!r}" if value else f"cannot delete field {name!r}")


def _repr(self) -> str:
    shown = ", ".join(f"{name}={getattr(self, name)!r}" for name in type(self).__record_shown__)
    return f"{type(self).__qualname__}({shown})"


class _DataclassFields:
    """A record's ``__dataclass_fields__``, made the first time it is read (by
    ``dataclasses.fields``, ``replace``, ``asdict`` or ``is_dataclass``): the fields
    ``dataclasses.dataclass`` finds in a class of the same annotations and defaults."""

    def __get__(self, obj, owner: type):
        import dataclasses
        namespace: Dict[str, Any] = {"__annotations__": dict(owner.__record_types__),
                                     "__module__": owner.__module__, "__qualname__": owner.__qualname__}
        namespace.update(owner.__record_defaults__)
        for name in owner.__record_fields__:
            if name not in owner.__record_shown__:   # as field(repr=False, compare=False)
                namespace[name] = dataclasses.field(default=namespace.get(name, dataclasses.MISSING),
                                                    repr=False, compare=False)
        shadow = dataclasses.dataclass(init=False, repr=False, eq=False)(type(owner.__name__, (), namespace))
        fields = shadow.__dataclass_fields__
        type.__setattr__(owner, "__dataclass_fields__", fields)   # made once for the class
        return fields
