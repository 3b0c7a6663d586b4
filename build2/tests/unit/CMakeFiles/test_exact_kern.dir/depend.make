# Empty dependencies file for test_exact_kern.
# This may be replaced when dependencies are built.
