"""The `trauma` command line.

    trauma sweep extreme-penalty [-p NAME VALUE]... --out DIR

Values are parsed as YAML: `-p hidden_dims "[16, 8]" -p penalties "[1, 1000]"`.
Every parameter is checked before any training starts; on bad input the command
exits with status 2, a message naming the parameter, and writes nothing.
"""

from __future__ import annotations

import argparse
import sys

from . import __version__
from .params import ParameterError, parse_value

MODELS = ("extreme-penalty",)


def _parser() -> argparse.ArgumentParser:
    from .extreme_penalty.config import DESCRIPTIONS, SweepConfig

    defaults = SweepConfig().as_dict()
    parameters = "\n".join(f"  {name:<17} {DESCRIPTIONS[name]} (default: {defaults[name]})" for name in DESCRIPTIONS)
    parser = argparse.ArgumentParser(prog="trauma", description="Trauma as Training Data: run the models.")
    parser.add_argument("--version", action="version", version=f"trauma {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    sweep = commands.add_parser(
        "sweep",
        help="train a model over a grid of penalties x seeds and write results",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="parameters of extreme-penalty:\n" + parameters,
    )
    sweep.add_argument("model", choices=MODELS)
    sweep.add_argument(
        "-p", "--param", nargs=2, action="append", default=[], metavar=("NAME", "VALUE"),
        help="set a parameter (value parsed as YAML); repeatable",
    )
    sweep.add_argument("--out", required=True, help="output folder (created; an earlier sweep's output is replaced)")
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from .extreme_penalty.config import SweepConfig
    from .extreme_penalty.outputs import OutputDirError, check_output_dir, write_outputs
    from .extreme_penalty.sweep import run_sweep

    try:
        overrides = {}
        for name, text in args.param:
            if name in overrides:
                raise ParameterError(name, "given once", text)
            overrides[name] = parse_value(name, text)
        config = SweepConfig.from_overrides(overrides)
        out_dir = check_output_dir(args.out)
    except (ParameterError, OutputDirError) as error:
        print(f"trauma sweep: error: {error}", file=sys.stderr)
        return 2

    grid = f"{len(config.penalties)} penalties x {config.seeds} seeds"
    print(f"Training {grid} = {len(config.penalties) * config.seeds} networks, {config.epochs} epochs ...", file=sys.stderr)
    result = run_sweep(config, progress=not args.quiet)
    write_outputs(result, out_dir)
    print((out_dir / "summary.txt").read_text())
    print(f"Done in {result.metadata['wall_seconds']} s; wrote {out_dir}/ (summary.txt, results.csv, ...)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
