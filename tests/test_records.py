"""rnntrace/records.py: a record is what ``@dataclass(frozen=True, eq=False)`` makes, for
everything rnntrace and its users do with one, held against a real dataclass of the same
fields."""
from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import ClassVar, Optional

import numpy as np
import pytest

from rnntrace import records
from rnntrace.records import record


@record
class Point:
    """A record of three fields, two with defaults."""

    x: np.ndarray
    label: str = "p"
    weight: Optional[float] = None
    kind: ClassVar[str] = "point"   # not a field
    unit = "cm"                     # not annotated: not a field


@record
class Tagged(Point):
    tag: str = "t"
    label: str = "tagged"           # a field of the base, its default changed: it keeps its place


@dataclasses.dataclass(frozen=True, eq=False)
class PointDataclass:
    x: np.ndarray
    label: str = "p"
    weight: Optional[float] = None
    kind: ClassVar[str] = "point"
    unit = "cm"


def test_fields_defaults_and_order_are_a_dataclasses():
    assert records.names(Point) == ("x", "label", "weight")
    assert records.names(Tagged) == ("x", "label", "weight", "tag")
    want = [(f.name, f.type, f.default) for f in dataclasses.fields(PointDataclass)]
    assert [(f.name, f.type, f.default) for f in dataclasses.fields(Point)] == want
    assert [(f.name, f.default) for f in dataclasses.fields(Tagged)] == [
        ("x", dataclasses.MISSING), ("label", "tagged"), ("weight", None), ("tag", "t")]
    assert dataclasses.is_dataclass(Point) and dataclasses.is_dataclass(Point(np.zeros(1)))


def test_made_by_position_or_keyword_as_a_dataclass_is():
    x = np.arange(2.0)
    for args, kwargs in [((x,), {}), ((x, "q"), {}), ((x,), {"weight": 2.0}), ((), {"x": x, "label": "r"})]:
        ours, theirs = Point(*args, **kwargs), PointDataclass(*args, **kwargs)
        assert [getattr(ours, f) for f in records.names(Point)] == \
            [getattr(theirs, f.name) for f in dataclasses.fields(theirs)]
    assert Tagged(x).label == "tagged" and Tagged(x, "a", 1.0, "b").tag == "b"
    for args, kwargs in [((), {}), ((x, "a", 1.0, "extra"), {}), ((x,), {"colour": 1}), ((x,), {"x": x})]:
        with pytest.raises(TypeError):
            Point(*args, **kwargs)
        with pytest.raises(TypeError):
            PointDataclass(*args, **kwargs)


def test_frozen_compared_by_identity_and_shown_as_a_dataclass_is():
    p = Point(np.zeros(2), "a")
    for change in (lambda: setattr(p, "label", "b"), lambda: delattr(p, "label"), lambda: setattr(p, "new", 1)):
        with pytest.raises(dataclasses.FrozenInstanceError):
            change()
    assert p.label == "a" and not hasattr(p, "new")
    q = Point(p.x, "a")
    assert p != q and p == p and hash(p) != hash(q)      # eq=False: no field-by-field == on arrays
    assert {p: 1}[p] == 1
    assert repr(p) == repr(PointDataclass(p.x, "a")).replace("PointDataclass", "Point")


def test_dataclasses_replace_and_asdict_work_and_so_does_records_replace():
    p = Tagged(np.ones(1), weight=3.0)
    for replace in (dataclasses.replace, records.replace):
        r = replace(p, label="new")
        assert type(r) is Tagged and (r.label, r.weight, r.tag) == ("new", 3.0, "t") and r.x is p.x
        with pytest.raises((TypeError, ValueError)):
            replace(p, colour="red")
    assert dataclasses.asdict(p) == {"x": p.x, "label": "tagged", "weight": 3.0, "tag": "t"}


def test_copied_and_pickled():
    p = Point(np.arange(3.0), "c", 2.0)
    for other in (copy.copy(p), copy.deepcopy(p), pickle.loads(pickle.dumps(p))):
        assert type(other) is Point and other.label == "c" and other.weight == 2.0
        assert np.array_equal(other.x, p.x)
        with pytest.raises(dataclasses.FrozenInstanceError):
            other.label = "d"


def test_a_mutable_default_is_refused_as_dataclasses_refuses_it():
    with pytest.raises(ValueError, match="mutable default"):
        @record
        class Bad:
            items: list = []


def test_every_layer_record_and_spec_class_is_a_record():
    # what a run imports is made without dataclasses (tests/test_imports.py), and what
    # docs/python.md shows (dataclasses.replace on a spec and its layers) works on it
    from rnntrace.layers import TYPES
    from rnntrace.model import Spec, Train
    from rnntrace.trace import Step
    from rnntrace.layers.base import Block, Gate
    classes = [Spec, Train, Step, Block, Gate]
    for home in TYPES.values():
        classes += [home.Layer, home.Record]
    for cls in classes:
        assert "__record_fields__" in cls.__dict__, cls
        assert [f.name for f in dataclasses.fields(cls)] == list(records.names(cls))


def test_fields_out_of_order_are_refused_when_the_class_is_made_as_dataclasses_refuses_them():
    # not at the first record made, as a SyntaxError of the compiled __init__
    for decorate in (record, dataclasses.dataclass(frozen=True, eq=False)):
        with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):
            @decorate
            class Late:
                a: int = 1
                b: int


def test_a_field_annotated_again_without_a_value_keeps_the_default_it_inherits():
    @dataclasses.dataclass(frozen=True, eq=False)
    class AgainDataclass(PointDataclass):
        label: str

    @record
    class Again(Point):
        label: str

    x = np.zeros(1)
    assert Again(x).label == AgainDataclass(x).label == "p"
    assert [f.default for f in dataclasses.fields(Again)] == [f.default for f in dataclasses.fields(AgainDataclass)]


def test_a_dataclasses_field_or_an_unhashable_default_is_refused():
    # a record has no field(): its Field would otherwise become every record's value
    with pytest.raises(TypeError, match="dataclasses.field"):
        @record
        class WithField:
            items: tuple = dataclasses.field(default=())
    for default in (np.zeros(2), {"a": 1}):   # refused by dataclasses too (Python 3.11 on)
        with pytest.raises(ValueError, match="mutable default"):
            @record
            class Bad:
                x: object = default


def test_matched_by_position_and_copy_replace_as_a_dataclass():
    p = Tagged(np.ones(1), "q")
    assert Tagged.__match_args__ == records.names(Tagged)
    match p:
        case Tagged(x, label, weight, tag):
            assert (x is p.x, label, weight, tag) == (True, "q", None, "t")
    r = Tagged.__replace__(p, tag="u")   # copy.replace (Python 3.13 on) calls this
    assert type(r) is Tagged and (r.label, r.tag) == ("q", "u")
    if hasattr(copy, "replace"):
        assert copy.replace(p, tag="v").tag == "v"


def test_a_spec_is_shown_without_its_document_as_the_dataclass_showed_it():
    # Spec.document was field(repr=False, compare=False): the YAML's data and places
    from rnntrace.spec import load_spec
    from conftest import EXAMPLES
    spec = load_spec(EXAMPLES / "elman.yaml")
    assert spec.document is not None and "document" not in repr(spec)
    assert repr(spec).endswith(f"source={spec.source!r})")
    shown = {f.name: (f.repr, f.compare) for f in dataclasses.fields(spec)}
    assert shown["document"] == (False, False) and shown["source"] == (True, True)


def test_the_first_records_looped_and_the_compiled_init_make_the_same_and_refuse_the_same():
    # A class's first records are made by a loop over its fields, later ones by the
    # __init__ compiled for it (records.LOOPED); arguments that do not fit are refused by
    # the compiled one at once, with Python's own message, as a dataclass's __init__.
    @record
    class Pair:
        a: int
        b: str = "b"

    @dataclasses.dataclass(frozen=True, eq=False)
    class PairDataclass:
        a: int
        b: str = "b"

    calls = [((1,), {}), ((1, "x"), {}), ((), {"a": 2}), ((), {"b": "y", "a": 3}), ((4,), {"b": "z"})]
    looped = [Pair(*args, **kwargs) for args, kwargs in calls]
    assert not Pair.__init__.__code__.co_filename.startswith("<record")       # still the loop
    for _ in range(records.LOOPED):
        Pair(0)
    assert Pair.__init__.__code__.co_filename.startswith("<record")           # compiled by now
    compiled = [Pair(*args, **kwargs) for args, kwargs in calls]
    assert [(p.a, p.b) for p in looped] == [(p.a, p.b) for p in compiled] == \
        [(1, "b"), (1, "x"), (2, "b"), (3, "y"), (4, "z")]
    for args, kwargs in [((), {}), ((1, "x", 3), {}), ((1,), {"a": 1}), ((1,), {"c": 2}), ((), {"b": "y"})]:
        with pytest.raises(TypeError) as ours:

            @record
            class Fresh:   # a new class: its first record, which the loop would make
                a: int
                b: str = "b"
            Fresh(*args, **kwargs)
        with pytest.raises(TypeError) as theirs:
            PairDataclass(*args, **kwargs)
        assert str(ours.value).replace("Fresh", "X") == str(theirs.value).replace("PairDataclass", "X")
