# Empty compiler generated dependencies file for tripminer.
# This may be replaced when dependencies are built.
