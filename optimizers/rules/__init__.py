"""One module per `torch.optim` optimizer, as torch lays them out: each holds its rule as a LaTeX algorithm in
its docstring, its `OptimizerSpec` (keywords, torch's defaults, typed `State`), and where covered its update
rule replayed in numpy and written in LaTeX.  What they share: `base` (the spec, the state, common keywords),
`replay` (numpy helpers) and `latex` (number formatting, lines).  The registry is `optimizers.specs`.
"""
