# Empty compiler generated dependencies file for test_err.
# This may be replaced when dependencies are built.
