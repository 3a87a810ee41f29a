"""``python -m analysis``: see :mod:`analysis.cli` for the command-line contract."""

if __name__ == "__main__":
    from analysis.cli import main

    raise SystemExit(main())
