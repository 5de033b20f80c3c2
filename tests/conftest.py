"""Test settings: a non-interactive matplotlib backend for this process only.

``matplotlib.use`` rather than the MPLBACKEND variable: an environment variable would be inherited by
the kernels nbval starts and silence ``plt.show()`` in notebooks that rely on the inline default.
"""

import matplotlib

matplotlib.use("Agg")
