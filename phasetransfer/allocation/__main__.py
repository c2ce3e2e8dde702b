# The documented command, ``python -m phasetransfer.allocation solve ...``, runs the engine's.
import runpy

runpy.run_module("phasetransfer.allocation.engine", run_name="__main__", alter_sys=True)
