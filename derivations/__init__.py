"""derivations: SymPy derivations of the RoPE base bounds, each step machine-checked (built on ``rope_sym``)."""
