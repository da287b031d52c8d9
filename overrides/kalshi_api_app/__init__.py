"""The application layer of kalshi-api: the hand-written parts that need the generated types.

Three one-way layers: the runtime ``kalshi_api_core`` (never imports generated code) <- the generated
package ``kalshi_api`` <- this one, which imports both: the fake exchange (``testing``), the command line
(``cli``), placing an order exactly once (``orders``) and seeding the rate limiter from the account
(``ratelimit``). Users import it through ``kalshi_api`` (``kalshi_api.testing``, ``kalshi_api.orders``,
``kalshi_api.ratelimit``), whose generated modules re-export these names.
"""
