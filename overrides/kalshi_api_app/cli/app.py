"""``main(argv)``: parse, run the command, print its result; errors become one line on stderr and an exit
status, never a traceback.

Exit statuses: 0 done, 1 the SDK or the exchange refused (the error's own message), 2 bad arguments
(argparse-style, naming the argument and the value), 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from kalshi_api_app.cli.arguments import UsageError, from_validation
from kalshi_api_app.cli.connection import open_client
from kalshi_api_app.cli.output import write_json, write_views
from kalshi_api_app.cli.parser import build_parser
from kalshi_api_core.errors import KalshiError

PROG = "kalshi-api"


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, or a usage error argparse has printed
        return done.code if isinstance(done.code, int) else 2
    try:
        run(args)
    except ValidationError as error:  # the SDK's validation of an argument, before any I/O
        return _usage(args.command_parser, from_validation(error))
    except UsageError as error:
        return _usage(args.command_parser, error)
    except KalshiError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, and keep the interpreter's final flush silent.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return 0


def run(args: argparse.Namespace) -> None:
    with open_client(args) as client:
        result = args.command(client, args)
        if result is None:  # a command that printed as it went (stream)
            return
        if args.json:
            write_json(result.data, sys.stdout)
        else:
            write_views(result.views, sys.stdout)


def _usage(parser: argparse.ArgumentParser, error: UsageError) -> int:
    """argparse's own usage error (``parser.error``), returned instead of raised."""
    parser.print_usage(sys.stderr)
    print(f"{parser.prog}: error: {error}", file=sys.stderr)
    return 2
