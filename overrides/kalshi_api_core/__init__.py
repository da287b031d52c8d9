"""Hand-written runtime layer of kalshi-api: the parts the specs cannot express.

The generated package ``kalshi_api`` builds on this one, and the application layer ``kalshi_api_app`` on
both; this one never imports either (``tests/test_layers.py``). Users import ``kalshi_api``.
"""

from kalshi_api_core.base_models import RESPONSE_PARSING, RequestModel, ResponseModel
from kalshi_api_core.decimals import (
    Count,
    DecimalInputError,
    DecimalNumber,
    Dollars,
    PriceLevel,
    StrictBool,
    StrictFloat,
    StrictInt,
    to_decimal,
    to_wire,
)
from kalshi_api_core.pagination import AsyncPage, Page
from kalshi_api_core.raw_response import RawResponse

__all__ = [
    "RESPONSE_PARSING",
    "AsyncPage",
    "Count",
    "DecimalInputError",
    "DecimalNumber",
    "Dollars",
    "Page",
    "PriceLevel",
    "RawResponse",
    "RequestModel",
    "ResponseModel",
    "StrictBool",
    "StrictFloat",
    "StrictInt",
    "to_decimal",
    "to_wire",
]
