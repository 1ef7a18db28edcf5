def alignment_curves(run, figdir, seed): return []
retention_curves = steps_to_alignment = retention_vs_rho = p3_retention = alignment_curves
