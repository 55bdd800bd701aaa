"""The base of every input model and the number types of the scenario format (re-exported
by :mod:`ptce_flows.scenario.schema`)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Id = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_\-]*$", max_length=64),
]
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNegative = Annotated[float, Field(ge=0.0)]
Positive = Annotated[float, Field(gt=0.0)]
Latitude = Annotated[float, Field(ge=-90.0, le=90.0)]
Longitude = Annotated[float, Field(ge=-180.0, le=180.0)]
Location = tuple[Latitude, Longitude]
DayOfYear = Annotated[int, Field(ge=1, le=365)]
#: process and disposal types with default climate and cost factors (metrics.factors); "other": none
ProcessType = Literal["composting", "anaerobic_digestion", "sorting", "baling", "shredding", "other"]
DisposalType = Literal["landfill", "incineration"]


class Spec(BaseModel):
    """Base of every input model: strict keys, frozen, finite numbers."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, allow_inf_nan=False, validate_default=True
    )
