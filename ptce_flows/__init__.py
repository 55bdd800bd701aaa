"""ptce_flows: discrete-event simulation of territorial material loops for PTCE planners.

Importing the package is cheap: it does not import matplotlib, SimPy or the CLI.
"""

__version__ = "0.1.0"
