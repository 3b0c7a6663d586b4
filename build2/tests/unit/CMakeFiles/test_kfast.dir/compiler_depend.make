# Empty compiler generated dependencies file for test_kfast.
# This may be replaced when dependencies are built.
