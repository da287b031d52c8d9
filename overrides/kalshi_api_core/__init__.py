"""Hand-written runtime layer of kalshi-api: the parts the specs cannot express.

The generated package ``kalshi_api`` builds on this one; users import ``kalshi_api``.
"""

from kalshi_api_core.base_models import RESPONSE_PARSING, RequestModel, ResponseModel
from kalshi_api_core.decimals import (
    Count,
    DecimalInputError,
    Dollars,
    PriceLevel,
    StrictBool,
    StrictFloat,
    StrictInt,
    to_decimal,
    to_wire,
)
from kalshi_api_core.pagination import Page

__all__ = [
    "RESPONSE_PARSING",
    "Count",
    "DecimalInputError",
    "Dollars",
    "Page",
    "PriceLevel",
    "RequestModel",
    "ResponseModel",
    "StrictBool",
    "StrictFloat",
    "StrictInt",
    "to_decimal",
    "to_wire",
]
