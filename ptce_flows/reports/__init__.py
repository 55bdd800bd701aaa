"""Reports layer: result files on disk (CSV, JSON, YAML; figures and documents)."""
