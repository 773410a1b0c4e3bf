"""``python -m lira.data.products build --out DIR [--seed N]`` / ``extract [--cache DIR] [--keywords-only]``."""

from __future__ import annotations

import argparse
import sys


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m lira.data.products", description=__doc__)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="build the dataset from the shipped lexicon")
    b.add_argument("--out", required=True, help="output folder")
    b.add_argument("--seed", type=int, default=None)
    b.add_argument("--no-jsonl", action="store_true")
    e = sub.add_parser("extract", help="re-mine the lexicon from npm / Debian packages")
    e.add_argument("--cache", default=None, help="folder for downloaded packages (default $LIRA_CACHE/products-src)")
    e.add_argument("--out", default=None, help="where lexicon.json goes (default lira/resources/products)")
    e.add_argument("--keywords-only", action="store_true",
                   help="re-mine only the keywords section of the existing lexicon (needs only the CLDR annotations package)")
    args = ap.parse_args(argv)
    if args.cmd == "build":
        from .build import DEFAULT_SEED, build_products

        build_products(args.out, seed=DEFAULT_SEED if args.seed is None else args.seed, jsonl=not args.no_jsonl)
        print(f"wrote {args.out}")
    else:
        from .extract import LEXICON_FILE, extract, update_keywords

        if args.keywords_only:
            from pathlib import Path

            print(f"wrote {update_keywords(Path(args.out) / LEXICON_FILE if args.out else None, cache=args.cache)}")
        else:
            print(f"wrote {extract(args.out, cache=args.cache)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
