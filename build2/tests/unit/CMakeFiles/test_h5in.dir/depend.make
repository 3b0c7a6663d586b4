# Empty dependencies file for test_h5in.
# This may be replaced when dependencies are built.
