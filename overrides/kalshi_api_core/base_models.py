"""Base classes of the generated models: strict on the way out, tolerant on the way in.

Requests forbid unknown fields, so a misspelt keyword fails before it reaches the exchange. Responses keep
fields the spec does not list yet, so a new server field never breaks decoding.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class RequestModel(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        protected_namespaces=(),
    )


class ResponseModel(BaseModel):
    model_config = ConfigDict(
        extra="allow",
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
        protected_namespaces=(),
    )
