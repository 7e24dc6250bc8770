"""Validate an OpenLineage run event (a JSON dict) against the event and facet
classes of the `openlineage-python` package.

The dict is structured into `openlineage.client.event_v2.RunEvent` (with
`Run`, `Job`, `InputDataset`, `OutputDataset`) and the facet classes of
`openlineage.client.generated.*`, each built with keyword arguments, so a
missing required field or a field the class does not know raises; the
classes' own validators check UUIDs and ISO timestamps; scalar fields are
checked against their annotated types. A facet key this module does not
know is accepted only as a custom facet carrying `_producer` and
`_schemaURL`.

Then the structured event is serialized back with the package's `Serde` and
must equal the original dict without its custom facets: that also compares
every standard facet's `_producer` and `_schemaURL`, and the event's
`schemaURL`, with the ones the package has for that class.
"""

from __future__ import annotations

import copy
import typing
from typing import Any

import attr
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.generated import base_subset_dataset as subset
from openlineage.client.generated import job_type_job, parent_run, schema_dataset
from openlineage.client.generated.error_message_run import ErrorMessageRunFacet
from openlineage.client.generated.input_statistics_input_dataset import InputStatisticsInputDatasetFacet
from openlineage.client.generated.nominal_time_run import NominalTimeRunFacet
from openlineage.client.generated.output_statistics_output_dataset import (
    OutputStatisticsOutputDatasetFacet,
)
from openlineage.client.generated.processing_engine_run import ProcessingEngineRunFacet
from openlineage.client.serde import Serde


class InvalidEvent(ValueError):
    """The event does not fit the OpenLineage classes."""


# ----------------------------------------------------------------------------- building objects


def _kwargs(data: dict) -> dict:
    """A facet's JSON fields as constructor keywords: attrs takes `_producer`
    as `producer`; `_schemaURL` is not an init argument (the class sets its
    own, compared in the round trip)."""
    out = dict(data)
    out.pop("_schemaURL", None)
    for private in ("_producer", "_deleted"):
        if private in out:
            out[private[1:]] = out.pop(private)
    return out


def _check_scalar_types(obj: Any) -> None:
    """attrs does not check annotations: check str/int/float/bool fields (and
    their optional forms) against the value they were given."""
    cls = type(obj)
    hints = typing.get_type_hints(cls)
    for field in attr.fields(cls):
        allowed = _scalar_types(hints.get(field.name))
        value = getattr(obj, field.name)
        if allowed is None or (value is None and type(None) in allowed):
            continue
        if isinstance(value, bool):
            ok = bool in allowed
        else:  # a JSON integer is a valid float
            ok = isinstance(value, tuple(allowed)) or (float in allowed and isinstance(value, int))
        if not ok:
            raise InvalidEvent(f"{cls.__name__}.{field.name.lstrip('_')} = {value!r}: "
                               f"expected {' | '.join(t.__name__ for t in allowed)}")


_UnionType = type(int | None)


def _scalar_types(hint) -> set | None:
    """{int, NoneType} for `int | None`; None when the hint is not scalar."""
    scalars = {str, int, float, bool}
    args = typing.get_args(hint) if typing.get_origin(hint) in (typing.Union, _UnionType) else (hint,)
    if all(a in scalars or a is type(None) for a in args):
        return set(args)
    return None


def build(cls, data: Any, **nested) -> Any:
    """`cls(**data)` with the fields named in `nested` built by their own
    function first; the scalar fields' types checked."""
    if not isinstance(data, dict):
        raise InvalidEvent(f"{cls.__name__}: expected an object, got {data!r}")
    kwargs = _kwargs(data)
    for name, make in nested.items():
        if kwargs.get(name) is not None:
            kwargs[name] = make(kwargs[name])
    try:
        obj = cls(**kwargs)
    except (TypeError, ValueError) as e:
        raise InvalidEvent(f"{cls.__name__}: {e}") from e
    _check_scalar_types(obj)
    return obj


def _each(make):
    def build_list(items):
        if not isinstance(items, list):
            raise InvalidEvent(f"expected a list, got {items!r}")
        return [make(i) for i in items]
    return build_list


def _schema_field(data):
    return build(schema_dataset.SchemaDatasetFacetFields, data, fields=_each(_schema_field))


def _condition(data):
    kind = data.get("type") if isinstance(data, dict) else None
    if kind != "partition":
        raise InvalidEvent(f"subset condition of type {kind!r}: only 'partition' is expected")
    return build(subset.PartitionSubsetCondition, data,
                 partitions=_each(lambda p: build(subset.Partition, p)))


def _parent(data):
    return build(
        parent_run.ParentRunFacet, data,
        run=lambda d: build(parent_run.Run, d),
        job=lambda d: build(parent_run.Job, d),
        root=lambda d: build(parent_run.Root, d,
                             run=lambda r: build(parent_run.RootRun, r),
                             job=lambda j: build(parent_run.RootJob, j)),
    )


RUN_FACETS = {
    "nominalTime": lambda d: build(NominalTimeRunFacet, d),
    "processing_engine": lambda d: build(ProcessingEngineRunFacet, d),
    "parent": _parent,
    "errorMessage": lambda d: build(ErrorMessageRunFacet, d),
}
JOB_FACETS = {
    "jobType": lambda d: build(job_type_job.JobTypeJobFacet, d,
                               emissionPattern=lambda e: build(job_type_job.EmissionPattern, e)),
}
DATASET_FACETS = {
    "schema": lambda d: build(schema_dataset.SchemaDatasetFacet, d, fields=_each(_schema_field)),
}
INPUT_FACETS = {
    "subset": lambda d: build(subset.InputSubsetInputDatasetFacet, d, inputCondition=_condition),
    "inputStatistics": lambda d: build(InputStatisticsInputDatasetFacet, d),
}
OUTPUT_FACETS = {
    "subset": lambda d: build(subset.OutputSubsetOutputDatasetFacet, d, outputCondition=_condition),
    "outputStatistics": lambda d: build(OutputStatisticsOutputDatasetFacet, d),
}


class _Builder:
    """Builds the event from `expected`, a copy of the original dict, and
    drops the custom facets from that copy as it meets them."""

    def __init__(self) -> None:
        self.custom: dict[str, dict] = {}

    def facets(self, where: str, data: Any, known: dict) -> dict:
        if not isinstance(data, dict):
            raise InvalidEvent(f"{where}: facets must be an object, got {data!r}")
        built = {}
        for key in list(data):
            if key in known:
                built[key] = known[key](data[key])
                continue
            facet = data.pop(key)
            if not (isinstance(facet, dict) and isinstance(facet.get("_producer"), str)
                    and facet["_producer"] and isinstance(facet.get("_schemaURL"), str)
                    and facet["_schemaURL"]):
                raise InvalidEvent(f"{where}.{key}: unknown facet without _producer and _schemaURL")
            self.custom[f"{where}.{key}"] = facet
        return built

    def dataset(self, cls, where: str, data: dict, io_key: str, io_known: dict):
        return build(cls, {
            **data,
            "facets": self.facets(f"{where}.facets", data.get("facets", {}), DATASET_FACETS),
            io_key: self.facets(f"{where}.{io_key}", data.get(io_key, {}), io_known),
        })

    def event(self, data: dict) -> RunEvent:
        if not isinstance(data, dict):
            raise InvalidEvent(f"an event must be an object, got {data!r}")
        fields = dict(data)
        if "schemaURL" not in fields:
            raise InvalidEvent("event without schemaURL")
        fields.pop("schemaURL")
        if "eventType" not in fields:
            raise InvalidEvent("event without eventType")
        try:
            fields["eventType"] = RunState(fields["eventType"])
        except ValueError as e:
            raise InvalidEvent(f"eventType: {e}") from e
        run, job = data.get("run"), data.get("job")
        if not isinstance(run, dict) or not isinstance(job, dict):
            raise InvalidEvent("event without run or job object")
        fields["run"] = build(Run, {**run, "facets": self.facets("run.facets", run.get("facets", {}), RUN_FACETS)})
        fields["job"] = build(Job, {**job, "facets": self.facets("job.facets", job.get("facets", {}), JOB_FACETS)})
        fields["inputs"] = [self.dataset(InputDataset, f"inputs[{i}]", d, "inputFacets", INPUT_FACETS)
                            for i, d in enumerate(_list(data, "inputs"))]
        fields["outputs"] = [self.dataset(OutputDataset, f"outputs[{i}]", d, "outputFacets", OUTPUT_FACETS)
                             for i, d in enumerate(_list(data, "outputs"))]
        return build(RunEvent, fields)


def _list(data: dict, key: str) -> list:
    items = data.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise InvalidEvent(f"{key} must be a list of objects, got {items!r}")
    return items


# ----------------------------------------------------------------------------- round trip


def _pruned(value: Any) -> Any:
    """Empty objects and lists are the same as absent ones (the classes
    default them to empty)."""
    if isinstance(value, dict):
        out = {k: _pruned(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in ({}, [])}
    if isinstance(value, list):
        return [_pruned(v) for v in value]
    return value


def _differences(sent: Any, back: Any, path: str):
    if isinstance(sent, dict) and isinstance(back, dict):
        for key in sorted(set(sent) | set(back)):
            if key not in back:
                yield f"{path}.{key}: {sent[key]!r} vs absent"
            elif key not in sent:
                yield f"{path}.{key}: absent vs {back[key]!r}"
            else:
                yield from _differences(sent[key], back[key], f"{path}.{key}")
    elif isinstance(sent, list) and isinstance(back, list) and len(sent) == len(back):
        for i, (a, b) in enumerate(zip(sent, back)):
            yield from _differences(a, b, f"{path}[{i}]")
    elif sent != back or type(sent) is not type(back):
        yield f"{path}: {sent!r} vs {back!r}"


@attr.define
class Validated:
    event: RunEvent
    custom_facets: dict[str, dict]  # "run.facets.pulsetier_run" -> the facet


def validate_event(data: dict) -> Validated:
    """Structure `data` into the OpenLineage classes and check the round trip;
    raises InvalidEvent (or the classes' own errors) when it does not fit."""
    expected = copy.deepcopy(data)
    builder = _Builder()
    event = builder.event(expected)
    round_trip = _pruned(Serde.to_dict(event))
    differences = list(_differences(_pruned(expected), round_trip, "event"))
    if differences:
        raise InvalidEvent("round trip through the openlineage classes differs (sent vs round trip):\n  "
                           + "\n  ".join(differences[:20]))
    return Validated(event=event, custom_facets=builder.custom)
