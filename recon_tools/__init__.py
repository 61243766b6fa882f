"""Tools around the pipeline: the demo/benchmark drop generator and the demo summary."""
