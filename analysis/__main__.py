"""Command line: ``python -m analysis fit|report|mediate|power``.

Exit status: 0 on success, 2 for bad input or usage (the message names file, column and
row), 1 when the data cannot support a model (e.g. a singular design).
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence

from analysis.bootstrap import show_progress
from analysis.coding import CODINGS
from analysis.covariance import COV_TYPES
from analysis.load import InputError
from analysis.models import CENTER_CHOICES
from analysis.pipeline import AnalysisOptions, analyse
from analysis.power import power_table, simulate_power
from analysis.probing import PROBE_CHOICES


def number_list(text: str) -> list[float]:
    try:
        values = [float(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
    if not values:
        raise argparse.ArgumentTypeError("expected at least one number")
    return values


def count_list(text: str) -> list[int]:
    values = number_list(text)
    if any(v != int(v) or v < 6 for v in values):
        raise argparse.ArgumentTypeError(f"expected whole numbers of at least 6, got {text!r}")
    return [int(v) for v in values]


def name_list(text: str) -> list[str]:
    return [v.strip() for v in text.split(",") if v.strip()]


def cov_type(text: str) -> str:
    key = text.strip().upper()
    if key not in COV_TYPES:
        raise argparse.ArgumentTypeError(f"choose one of {', '.join(COV_TYPES)}")
    return key


def alpha_value(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError("alpha must lie between 0 and 1")
    return value


def effect_size(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (value >= 0.0 and value != float("inf")):
        raise argparse.ArgumentTypeError("f2 must be a finite number of at least 0")
    return value


def add_model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", help="participants CSV exported by the platform")
    parser.add_argument("--cov-type", type=cov_type, default="HC3",
                        help="standard errors: OLS, HC0, HC1, HC2, HC3 (default) or HC4")
    parser.add_argument("--center", choices=CENTER_CHOICES, default="none",
                        help="mean-centre the variables forming the product (default none)")
    parser.add_argument("--covariates", type=name_list, default=[],
                        help="comma-separated covariate columns, e.g. age,gender (text is dummy-coded)")
    parser.add_argument("--probe", choices=PROBE_CHOICES, default="percentiles",
                        help="moderator values for conditional effects: PROCESS 16/50/84th "
                             "percentiles (default) or mean +/- 1 SD")
    parser.add_argument("--at", type=number_list, default=None,
                        help="probe the moderators at these values instead, e.g. 2,4,6")
    parser.add_argument("--moderator", default="holism",
                        help="H1 moderator column (default holism; e.g. culture for a two-culture design)")
    parser.add_argument("--h2-moderator", default="closeness",
                        help="H2 moderator: closeness (measured, default) or relation (manipulated "
                             "friend/stranger), or any column")
    parser.add_argument("--coding", choices=CODINGS, default="indicator",
                        help="coding of a categorical moderator: indicator (default), sequential, helmert "
                             "or effect; pairwise slope contrasts are Holm-adjusted")
    parser.add_argument("--keep-failed-attention", action="store_true",
                        help="keep participants who failed the attention check")
    parser.add_argument("--bootstrap", type=int, default=0, metavar="N",
                        help="percentile bootstrap with N resamples (e.g. 5000)")
    parser.add_argument("--seed", type=int, default=None, help="random seed for the bootstrap")
    parser.add_argument("--alpha", type=alpha_value, default=0.05,
                        help="significance level for tests, CIs and Johnson-Neyman (default 0.05)")
    parser.add_argument("--codebook", default=None,
                        help="codebook.json of the export (default: the one next to the data, if any); "
                             "scale ranges are read from it")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=(
        "Test H1 (conformity ~ public * holism) and H2 (evaluation ~ conformity * closeness) "
        "from exported files, PROCESS Model 1 style."))
    commands = parser.add_subparsers(dest="command", required=True)

    fit = commands.add_parser("fit", help="fit both models and print PROCESS-style tables")
    add_model_options(fit)
    fit.add_argument("--json", action="store_true", help="print one JSON object instead of tables")

    report = commands.add_parser("report", help="write HTML and Markdown reports, figures and results.json")
    add_model_options(report)
    report.add_argument("--out", required=True, help="output directory")
    report.add_argument("--suggestions", default=None,
                        help="suggestions CSV (default: suggestions.csv next to the data, if present)")

    mediate = commands.add_parser("mediate", help="conditional process model (PROCESS model 7, 14 or 21): "
                                                  "public -> conformity -> evaluation")
    mediate.add_argument("data", help="participants CSV exported by the platform")
    mediate.add_argument("--model", type=int, choices=(7, 14, 21), required=True,
                         help="7: W (holism) moderates public -> conformity; 14: V (closeness) moderates "
                              "conformity -> evaluation; 21: both")
    mediate.add_argument("--w", default="holism", help="moderator of X -> M (default holism)")
    mediate.add_argument("--v", default="closeness", help="moderator of M -> Y (default closeness)")
    mediate.add_argument("--covariates", type=name_list, default=[],
                         help="comma-separated covariates, in both regressions")
    mediate.add_argument("--cov-type", type=cov_type, default="HC3",
                         help="standard errors of the path coefficients (default HC3)")
    mediate.add_argument("--boot", type=int, default=5000, metavar="N",
                         help="percentile bootstrap resamples (default 5000, as PROCESS; 0 for none)")
    mediate.add_argument("--seed", type=int, default=None, help="random seed for the bootstrap")
    mediate.add_argument("--alpha", type=alpha_value, default=0.05)
    mediate.add_argument("--keep-failed-attention", action="store_true")
    mediate.add_argument("--codebook", default=None, help="codebook.json of the export")
    mediate.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    mediate.add_argument("--quiet", action="store_true", help="no progress bar")

    suggestions = commands.add_parser("suggestions", help="suggestion-level adoption models (cluster-robust "
                                                          "logistic, GEE exchangeable, mixed logistic)")
    suggestions.add_argument("data_dir", help="export folder with participants.csv and suggestions.csv")
    suggestions.add_argument("--moderator", default="holism", help="moderator of public (default holism)")
    suggestions.add_argument("--closeness", choices=("auto", "none", "require"), default="auto",
                             help="per-suggester closeness (ios_<persona>) as a predictor: when present "
                                  "(auto, default), never, or required")
    suggestions.add_argument("--alpha", type=alpha_value, default=0.05)
    suggestions.add_argument("--keep-failed-attention", action="store_true")
    suggestions.add_argument("--json", action="store_true", help="print one JSON object instead of tables")

    power = commands.add_parser("power", help="simulate power of the interaction tests")
    power.add_argument("--hypothesis", choices=("h1", "h2", "both"), default="both")
    power.add_argument("--f2", type=effect_size, default=0.02,
                       help="Cohen's f^2 of the interaction (default 0.02, 'small')")
    power.add_argument("--n", type=count_list, default=[100, 200, 400, 800],
                       help="comma-separated sample sizes (default 100,200,400,800)")
    power.add_argument("--sims", type=int, default=1000, help="simulations per N (default 1000)")
    power.add_argument("--seed", type=int, default=None)
    power.add_argument("--alpha", type=alpha_value, default=0.05)
    power.add_argument("--cov-type", type=cov_type, default="HC3")
    power.add_argument("--json", action="store_true", help="print the rows as JSON")
    power.add_argument("--quiet", action="store_true", help="no progress bar")
    return parser


def options_from(args: argparse.Namespace) -> AnalysisOptions:
    return AnalysisOptions(
        cov_type=args.cov_type, center=args.center, covariates=args.covariates, probe=args.probe,
        at=args.at, moderator=args.moderator, keep_failed_attention=args.keep_failed_attention,
        bootstrap=max(args.bootstrap, 0), seed=args.seed, alpha=args.alpha,
        progress=show_progress(args.quiet), codebook=args.codebook, h2_moderator=args.h2_moderator,
        coding=args.coding,
    )


def run_fit(args: argparse.Namespace) -> int:
    analysis = analyse(args.data, options_from(args))
    results = analysis.results()
    if args.json:
        sys.stdout.write(json.dumps(results, allow_nan=False) + "\n")
    else:
        from analysis.report import render_text, terminal_sections

        sys.stdout.write(render_text(terminal_sections(results, args.alpha)))
    return 0


def run_report(args: argparse.Namespace) -> int:
    from analysis.report import write_report

    analysis = analyse(args.data, options_from(args))
    paths = write_report(analysis, args.out, args.suggestions,
                         command="python -m analysis " + shlex.join(args.argv))
    for label, path in paths.items():
        print(f"{label}: {path}")
    return 0


def run_mediate(args: argparse.Namespace) -> int:
    from analysis.pipeline import mediate

    if args.boot < 0:
        raise ValueError("--boot must be 0 or more")
    document = mediate(args.data, args.model, w=args.w, v=args.v, covariates=args.covariates,
                       cov_type=args.cov_type, n_boot=args.boot, seed=args.seed, alpha=args.alpha,
                       keep_failed_attention=args.keep_failed_attention, codebook=args.codebook,
                       progress=show_progress(args.quiet))
    if args.json:
        sys.stdout.write(json.dumps(document, allow_nan=False) + "\n")
    else:
        from analysis.report import mediation_sections, render_text

        sys.stdout.write(render_text(mediation_sections(document)))
    return 0


def run_suggestions(args: argparse.Namespace) -> int:
    from analysis.pipeline import to_jsonable
    from analysis.suggestions import analyse_suggestions

    document = to_jsonable(analyse_suggestions(args.data_dir, moderator=args.moderator, closeness=args.closeness,
                                               alpha=args.alpha, keep_failed_attention=args.keep_failed_attention))
    if args.json:
        sys.stdout.write(json.dumps(document, allow_nan=False) + "\n")
    else:
        from analysis.report import render_text, suggestion_sections

        sys.stdout.write(render_text(suggestion_sections(document)))
    return 0


def run_power(args: argparse.Namespace) -> int:
    if args.sims < 1:
        raise ValueError("--sims must be at least 1")
    hypotheses = ("h1", "h2") if args.hypothesis == "both" else (args.hypothesis,)
    rows = []
    for hypothesis in hypotheses:
        rows += simulate_power(hypothesis, args.f2, args.n, args.sims, args.seed, args.alpha,
                               args.cov_type, progress=show_progress(args.quiet))
    if args.json:
        print(json.dumps({"f2": args.f2, "sims": args.sims, "seed": args.seed, "alpha": args.alpha,
                          "cov_type": args.cov_type, "rows": rows}))
    else:
        print(power_table(rows, args.f2, args.sims, args.cov_type, args.alpha))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else [str(a) for a in argv]
    args = build_parser().parse_args(argv)
    args.argv = argv  # the report records the command that produced it
    runners = {"fit": run_fit, "report": run_report, "mediate": run_mediate, "suggestions": run_suggestions,
               "power": run_power}
    try:
        return runners[args.command](args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except (ValueError, KeyError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
