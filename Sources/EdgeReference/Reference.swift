// Reference kernels live here (one file per op family).
