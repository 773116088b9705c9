"""What the commands share: the user's mistakes, settings, argument types, topics and targets."""

import argparse
import sys
from pathlib import Path

from pydantic import ValidationError

from streams.settings import Settings


class UserError(Exception):
    """A mistake the user can fix; the message says how."""


def settings_from(args: argparse.Namespace) -> Settings:
    overrides = {}
    if getattr(args, "bootstrap", None):
        overrides["kafka_bootstrap"] = args.bootstrap
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(
            f"CCM_{'_'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
            if e["loc"]
            else e["msg"].removeprefix("Value error, ")
            for e in error.errors()
        )
        raise UserError(f"invalid configuration: {problems}") from None


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a number such as 10 or 0.5, got {text!r}"
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def prepare_topics_for(settings: Settings, command: str) -> dict[str, int]:
    """The worker's topics, created when missing exactly as the worker creates them, so
    that the first of the worker, replay and simulate to run decides their layout."""
    from streams.topics import prepare_topics

    return prepare_topics(
        settings,
        say=lambda line: print(f"ccm {command}: {line}", file=sys.stderr),
        warn=lambda line: print(f"ccm {command}: warning: {line}", file=sys.stderr),
    )


def load_targets(path: Path):  # -> Targets
    import yaml

    from streams.core.targets import TargetsFileError, parse_targets

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(
            f"targets file not found: {path}. Set CCM_TARGETS_FILE to its path."
        ) from None
    except yaml.YAMLError as error:
        raise UserError(f"targets file {path} is not valid YAML: {error}") from None
    try:
        return parse_targets(data, origin=f"targets file {path}")
    except TargetsFileError as error:
        raise UserError(str(error)) from None


def month_type(text: str):  # -> Month
    from streams.core.months import parse_month

    try:
        return parse_month(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def whole_number(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number such as 6, got {text!r}"
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value
