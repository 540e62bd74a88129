"""clgraph.sandbox: Theano's module paths that tutorials import from (rng_mrg)."""
