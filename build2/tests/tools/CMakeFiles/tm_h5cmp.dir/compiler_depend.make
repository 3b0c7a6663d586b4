# Empty compiler generated dependencies file for tm_h5cmp.
# This may be replaced when dependencies are built.
