"""Run the benchmark suite: ``python benchmarks/run.py [--quick] [--repeat N] [--out FILE]``.

The same as ``ptce-flows bench``. Each case runs in a fresh process; the figures go to
benchmarks/results.json and a table is printed. See docs/performance.md.
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ptce_flows.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
