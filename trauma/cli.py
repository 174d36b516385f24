"""The `trauma` command line.

    trauma sweep MODEL [-p NAME VALUE]... --out DIR              one sweep of a model into a folder
                 [--shards K | --memory-budget-gb GB]            ... as shards of seeds, merged
                                                                  (trauma/numerics/shards.py)
    trauma run NAME... | --all [--force]                         execute book notebooks (if stale)
    trauma run TEMPLATE --name NEW [-p NAME VALUE]...            add and execute your own variant
    trauma book                                                  execute what is stale, build the book
    trauma status                                                every run: up to date, stale (why), failed
    trauma remove NAME                                           remove your own variant, its page and results

`sweep`, `run` and `book` take --workers N (a Dask LocalCluster of N workers on
this machine) or --scheduler ADDRESS (any running Dask scheduler): the runs, or a
sweep's shards, are its tasks. Without either, they use this machine's cores
(trauma/book/cluster.py).

The book commands work inside a checkout of the book (found from the working folder
upwards, or TRAUMA_ROOT) with the book extra installed (pip install -e ".[book]").

Values are parsed as YAML: `-p hidden_dims "[16, 8]" -p penalties "[1, 1000]"`.
Every parameter is checked before anything runs; on bad input the command exits
with status 2, a message naming the parameter, and writes nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from . import __version__
from .models import MODELS
from .numerics.params import ParameterError, parse_value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="trauma", description="Trauma as Training Data: run the models.")
    parser.add_argument("--version", action="version", version=f"trauma {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    sweep = commands.add_parser(
        "sweep",
        help="train one model's grid of networks (conditions x seeds) and write its results",
        description="Train one model's grid of networks and write its results to a folder. "
        "`trauma sweep MODEL --help` lists that model's parameters with their defaults.",
    )
    models = sweep.add_subparsers(dest="model", required=True, metavar="MODEL", title="models")
    for model in MODELS.values():
        defaults = model.config().as_dict()
        parameters = "\n".join(
            f"  {name:<17} {text} (default: {defaults[name]})" for name, text in model.config.descriptions().items()
        )
        one = models.add_parser(
            model.name,
            help=f"{model.title}: {model.question}",
            description=f"{model.title}: {model.question}",
            epilog="parameters (-p NAME VALUE, values parsed as YAML):\n" + parameters,
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        one.add_argument(
            "-p",
            "--param",
            nargs=2,
            action="append",
            default=[],
            metavar=("NAME", "VALUE"),
            help="set a parameter (value parsed as YAML); repeatable",
        )
        one.add_argument("--out", required=True, help="output folder (created; an earlier sweep's output is replaced)")
        one.add_argument("--quiet", action="store_true", help="no progress bar")
        estimated = model.memory_estimate(model.config()) is not None
        one.add_argument(
            "--shards",
            metavar="K",
            help="split the seeds into K contiguous shards, trained one after the "
            "other and merged into one folder (default: "
            + ("as few as keep the estimated peak memory under --memory-budget-gb)" if estimated else "1)"),
        )
        one.add_argument(
            "--memory-budget-gb",
            metavar="GB",
            default="2",
            help=(
                "peak memory a shard should stay under when --shards is not given (default: 2)"
                if estimated
                else "unused: this model has no memory estimate"
            ),
        )
        _pool_options(one, what="the shards")

    run = commands.add_parser("run", help="execute the book's notebooks (variants.yml) with papermill, if stale")
    run.add_argument("names", nargs="*", metavar="NAME", help="variants to execute (with --name: one template)")
    run.add_argument("--all", action="store_true", help="every stale variant")
    run.add_argument("--force", action="store_true", help="execute even if up to date")
    run.add_argument("--name", help="add your own variant of the template NAME under this name")
    run.add_argument(
        "-p",
        "--param",
        nargs=2,
        action="append",
        default=[],
        metavar=("NAME", "VALUE"),
        help="a parameter of your variant (value parsed as YAML); repeatable",
    )
    _pool_options(run)

    book = commands.add_parser(
        "book", help="execute every stale notebook, then jupyter-book build . -W -n --keep-going"
    )
    _pool_options(book)
    commands.add_parser("status", help="every run of the book: up to date, stale and why, failed or never run")
    remove = commands.add_parser("remove", help="remove a variant you added (its entry, page and results)")
    remove.add_argument("name", metavar="NAME")
    return parser


def _pool_options(command, what: str = "the runs") -> None:
    command.add_argument(
        "--workers",
        metavar="N",
        help=f"run {what} on a Dask LocalCluster of N one-task workers on this machine (needs the distributed extra)",
    )
    command.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help=f"run {what} on the workers of a running Dask "
        "scheduler, e.g. tcp://10.0.0.5:8786 (workers started with --resources notebook=1)",
    )


BOOK_MODULES = ("nbformat", "papermill", "jupytext", "yaml")


def book_ready(command: str) -> bool:
    """Book commands need a checkout and the book extra: say in one line what is missing."""
    import importlib.util

    from .book import paths

    missing = [
        m
        for m in BOOK_MODULES + (("jupyter_book",) if command == "book" else ())
        if importlib.util.find_spec(m) is None
    ]
    if missing:
        print(
            f"trauma {command}: error: needs the book extra (missing: {', '.join(missing)}); "
            'install it with pip install -e ".[book]" in a checkout of the book',
            file=sys.stderr,
        )
        return False
    if paths.FOUND is None:
        print(
            f"trauma {command}: error: no checkout of the book (a folder with variants.yml and notebooks/) in "
            f"{Path.cwd()} or above; cd into one or set TRAUMA_ROOT",
            file=sys.stderr,
        )
        return False
    return True


def _overrides(pairs) -> dict:
    overrides = {}
    for name, text in pairs:
        if name in overrides:
            raise ParameterError(name, "given once", text)
        overrides[name] = parse_value(name, text)
    return overrides


def _run(args) -> int:
    from .book.cluster import PoolError, check_options
    from .book.pipeline import PipelineError, run_stale
    from .book.variants import TableError, add_custom_variant

    try:
        pool = {"workers": check_options(args.workers, args.scheduler), "scheduler": args.scheduler}
        if args.name:
            if len(args.names) != 1:
                raise ParameterError(
                    "--name", "used with exactly one template, e.g. trauma run extreme_penalty --name NAME", args.names
                )
            add_custom_variant(args.name, args.names[0], _overrides(args.param))
            run_stale([args.name], force=True, **pool)
        elif args.param:
            raise ParameterError(
                "-p", "used with --name (a new variant); variants.yml holds the others' parameters", args.param
            )
        elif args.all or args.names:
            run_stale(None if args.all else args.names, force=args.force, **pool)
        else:
            raise ParameterError("NAME", "one or more variant names from variants.yml, or --all", "nothing")
    except (ParameterError, PipelineError, PoolError, TableError) as error:
        print(f"trauma run: error: {error}", file=sys.stderr)
        return 1 if isinstance(error, PipelineError) else 2
    return 0


def _book(args) -> int:
    from .book import paths
    from .book.cluster import PoolError, check_options
    from .book.pipeline import PipelineError, run_stale
    from .book.variants import TableError

    try:
        run_stale(workers=check_options(args.workers, args.scheduler), scheduler=args.scheduler)
    except (PipelineError, PoolError, TableError, ParameterError) as error:
        print(f"trauma book: error: {error}", file=sys.stderr)
        return 1 if isinstance(error, PipelineError) else 2
    builder = Path(sys.executable).parent / "jupyter-book"
    command = [str(builder), "build", str(paths.ROOT), "--builder", "html", "-W", "-n", "--keep-going"]
    print("Building the book:", " ".join(command), file=sys.stderr)
    return subprocess.call(command)


def _status() -> int:
    from .book.status import status_text
    from .book.variants import TableError

    try:
        print(status_text())
    except (TableError, ParameterError) as error:
        print(f"trauma status: error: {error}", file=sys.stderr)
        return 2
    return 0


def _remove(name: str) -> int:
    from .book.pipeline import PipelineError
    from .book.status import remove_variant
    from .book.variants import TableError

    try:
        removed = remove_variant(name)
    except (ParameterError, PipelineError, TableError) as error:
        print(f"trauma remove: error: {error}", file=sys.stderr)
        return 1 if isinstance(error, PipelineError) else 2
    print("Removed " + ", ".join(removed) + ". The pages that read it are re-executed by the next trauma book.")
    return 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "sweep":
        return _sweep(args)
    if not book_ready(args.command):
        return 2
    if args.command == "run":
        return _run(args)
    if args.command == "book":
        return _book(args)
    if args.command == "status":
        return _status()
    return _remove(args.name)


def _sweep(args) -> int:
    from .book.cluster import PoolError, check_options, open_pool, task_threads
    from .numerics.outputs import OutputDirError, check_output_dir
    from .numerics.shards import ShardError, run_sharded

    model = MODELS[args.model]
    try:
        config = model.config.from_overrides(_overrides(args.param))
        workers = check_options(args.workers, args.scheduler)
        shards = _shard_count(model, config, args.shards, args.memory_budget_gb, at_least=workers or 1)
        out_dir = check_output_dir(args.out)
    except (ParameterError, OutputDirError, PoolError) as error:
        print(f"trauma sweep {model.name}: error: {error}", file=sys.stderr)
        return 2

    in_shards = f" in {shards} shards of seeds" if shards > 1 else ""
    print(f"{model.title}: training {config.networks} networks{in_shards} ...", file=sys.stderr)
    if workers is not None or args.scheduler is not None:
        try:
            with open_pool(workers, args.scheduler) as pool:
                print(f"on {pool.where}", file=sys.stderr)
                result = run_sharded(
                    model, config, shards, progress=not args.quiet, pool=pool, threads=task_threads(pool, shards)
                )
        except (PoolError, ShardError) as error:
            print(f"trauma sweep {model.name}: error: {error}", file=sys.stderr)
            return 2 if isinstance(error, PoolError) else 1
    elif shards > 1:
        result = run_sharded(model, config, shards, progress=not args.quiet)
    else:
        result = model.run_sweep(config, progress=not args.quiet)
    model.write_outputs(result, out_dir)
    print((out_dir / "summary.txt").read_text())
    print(
        f"Done in {result.metadata['wall_seconds']} s; wrote {out_dir}/ (summary.txt, results.csv, ...)",
        file=sys.stderr,
    )
    return 0


def _shard_count(model, config, shards: str | None, budget_gb: str, at_least: int = 1) -> int:
    """--shards as given, or the fewest shards whose estimated peak memory stays under
    --memory-budget-gb (1 for a model without an estimate), but `at_least` (one per
    LocalCluster worker) as far as the seeds allow."""
    from .numerics.params import real
    from .numerics.shards import check_shards, shards_for_budget

    if shards is not None:
        return check_shards(parse_value("--shards", shards), config.seeds, model.shard_min_seeds)
    budget = real("--memory-budget-gb", parse_value("--memory-budget-gb", budget_gb), 0.0, low_open=True)
    estimate = model.memory_estimate(config)
    fewest = 1 if estimate is None else shards_for_budget(config.seeds, estimate, budget)
    return max(fewest, min(at_least, config.seeds // model.shard_min_seeds))


if __name__ == "__main__":
    sys.exit(main())
