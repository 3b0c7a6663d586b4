# Empty compiler generated dependencies file for test_opts.
# This may be replaced when dependencies are built.
