# Empty dependencies file for test_select.
# This may be replaced when dependencies are built.
