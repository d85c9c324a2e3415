"""Same-run benchmarks of functional_micrograd against karpathy's micrograd 0.1.0."""
