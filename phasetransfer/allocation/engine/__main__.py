import gc
import sys

from phasetransfer.allocation.engine.cli import main

# A one-shot process that builds about a million acyclic objects on a national run: the cyclic
# collector would only rescan them, so it is off for the life of the process.
gc.disable()
sys.exit(main())
