"""The normalised IR: what the evaluator, the code generator and the checker read.

`nodes` defines it (frozen attrs classes); `jsonform` writes and reads it as JSON. The
names of `nodes` are re-exported here, so `from policydsl import ir; ir.Rule` reads well.
"""

from policydsl.ir.nodes import *  # noqa: F401,F403
