"""The bgsave lock-scope trade-off: a thin wrapper around the installed ``pypika-bench lock-scope``
(pypika_store/testing/bench.py; ``pip install -e '.[bench]'`` for the plot).

    python benchmarks/lock_scope.py --repetitions 5 --duration 10 --output lock-scope-results
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from pypika_store.testing.bench import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["lock-scope", *sys.argv[1:]]))
