"""Command line: run config JSON files and write the trajectories as CSV or JSON.

    python -m optimizers homework.json -o homework.csv
    python -m optimizers homework.json --format json > trajectories.json

Run it from the repository's root folder (or with that folder on PYTHONPATH).

A config file holds one config or a list of them (the schema of `optimizers.config`).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from schema import ConfigError
from texts import LANGUAGES, text

from . import run_many
from .export import diverged, stopped, to_csv, to_json


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m optimizers", description=__doc__.splitlines()[0])
    parser.add_argument("config", help="a JSON file with one config or a list of configs ('-' = stdin)")
    parser.add_argument("-o", "--output", help="where to write (default: stdout)")
    parser.add_argument("--format", choices=("csv", "json"), help="default: from the output's extension, else csv")
    parser.add_argument("--lang", choices=tuple(LANGUAGES), default="en", help="language of error messages")
    args = parser.parse_args(argv)
    if args.output and args.config != "-" and Path(args.output).resolve() == Path(args.config).resolve():
        print(f"error: {text('config.cli.same_file', args.lang, path=args.output)}", file=sys.stderr)
        return 2
    try:
        source = sys.stdin.read() if args.config == "-" else Path(args.config).read_text(encoding="utf-8")
        configs = json.loads(source)
    except (OSError, ValueError, RecursionError) as err:  # ValueError: bad UTF-8 or JSON, or a 5,000-digit int
        print(f"error: {text('config.cli.unreadable', args.lang, path=args.config, error=err)}", file=sys.stderr)
        return 2
    configs = configs if isinstance(configs, list) else [configs]
    try:
        trajectories = run_many(configs)
    except ConfigError as err:
        print(f"error: {err.message(args.lang)}", file=sys.stderr)
        return 2
    fmt = args.format or ("json" if (args.output or "").endswith(".json") else "csv")
    if fmt == "json":
        payload = [to_json(t) for t in trajectories]
        out = json.dumps(payload if len(payload) > 1 else payload[0])
    else:
        out = to_csv(trajectories)
    if args.output:
        Path(args.output).write_text(out, encoding="utf-8")
        blown = [i for i, t in enumerate(trajectories) if diverged(t)]
        cut = [i for i, t in enumerate(trajectories) if stopped(t)]
        notes = [text("config.cli.wrote", args.lang, n=len(trajectories), path=args.output)]
        notes += [text("config.cli.diverged", args.lang, runs=blown)] if blown else []
        notes += [text("config.cli.stopped", args.lang, runs=cut)] if cut else []
        print(text("config.cli.separator", args.lang).join(notes), file=sys.stderr)
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
